/* The multiprocessor checks and benchmarks (smp_tests.c), shared by the
 * smp guest and the mini kernel's bench=smp. */
#ifndef SMP_TESTS_H
#define SMP_TESTS_H

/* Starts the APs and runs everything; returns the number of failures.
 * args may hold "par=N": the parallel benchmark's iterations per CPU. */
int smp_tests_run(const char *args);

#endif
