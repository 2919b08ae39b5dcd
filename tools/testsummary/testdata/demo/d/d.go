package d

// D is here so that the package has no test files.
const D = 1
