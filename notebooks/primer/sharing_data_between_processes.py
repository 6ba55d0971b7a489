import multiprocessing

def worker(q):
    """Simulate some work"""
    q.put("Worker has finished")

if __name__ == "__main__":
    # Create a queue to share data between processes
    q = multiprocessing.Queue()

    # Create two processes, one for each worker
    p1 = multiprocessing.Process(target=worker, args=(q,))
    p2 = multiprocessing.Process(target=worker, args=(q,))

    # Start the processes
    p1.start()
    p2.start()

    # Wait for both processes to finish
    p1.join()
    p2.join()

    print(q.get())  # Should print "Worker has finished"
