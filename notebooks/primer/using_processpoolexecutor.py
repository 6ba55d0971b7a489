import multiprocessing

def square(x):
    """Return the square of x"""
    return x ** 2

if __name__ == "__main__":
    # Create a pool of 4 worker processes
    with multiprocessing.ProcessPoolExecutor(max_workers=4) as executor:
        # Submit tasks to the pool and retrieve the results
        results = list(executor.map(square, [1, 2, 3, 4]))

    print(results)
