// Package reliability holds fgd's reliability tests: the real daemon
// binary killed with SIGKILL at random moments, run against git remotes
// behind a fault-injecting proxy, and run out of disk space, each
// followed by checks that nothing was lost, torn or duplicated. The package
// has test files only. Its tests are skipped unless FGD_RELIABILITY is set:
// "short" (CI, `.ci/run`, a few minutes for the whole package) or "full"
// (`make reliability`). The checkers the tests use have table tests of
// their own that always run.
package reliability
