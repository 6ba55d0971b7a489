import multiprocessing

def worker():
    """Simulate some work"""
    print("Worker is working")

if __name__ == "__main__":
    # Create a process for each worker
    p1 = multiprocessing.Process(target=worker)
    p2 = multiprocessing.Process(target=worker)

    # Start the processes
    p1.start()
    p2.start()

    # Wait for both processes to finish
    p1.join()
    p2.join()

    # Terminate the main process
    exit(42)  # Exit with status code 42
