import multiprocessing

def square(x):
    """Return the square of x"""
    return x ** 2

if __name__ == "__main__":
    # Create a pool of 4 worker processes
    with multiprocessing.Pool(processes=4) as pool:
        # Apply the square function to a list of numbers in parallel
        results = pool.map(square, [1, 2, 3, 4])

    print(results)
