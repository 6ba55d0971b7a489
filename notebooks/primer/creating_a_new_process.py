import multiprocessing

def worker(num):
    """Simulate some work"""
    print(f"Worker {num} is working")
    # Add your code here

if __name__ == "__main__":
    # Create two processes, one for each worker
    p1 = multiprocessing.Process(target=worker, args=(1,))
    p2 = multiprocessing.Process(target=worker, args=(2,))

    # Start the processes
    p1.start()
    p2.start()

    # Wait for both processes to finish
    p1.join()
    p2.join()

    print("All workers have finished")
