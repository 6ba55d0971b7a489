import multiprocessing

def square(x):
    """Return the square of x"""
    return x ** 2

if __name__ == "__main__":
    # Create a pool of 4 worker processes
    with multiprocessing.Pool(processes=4) as pool:
        # Execute a task synchronously in the pool
        p = pool.submit(square, 5)
        print(f"Task started: {p.id}")

        # Wait for the task to finish and retrieve the result
        result = p.result()
