/*
 * algorithms/blas.c - keeps OpenBLAS (when it is the BLAS behind LAPACKE)
 * on the calling thread.  The model-based algorithms run in the driver,
 * beside workers that already own the cores; their matrices are at most
 * a few thousand wide, where BLAS threads cost more than they give; and a
 * fixed thread count keeps the order of floating-point reductions, so a
 * run repeats bit for bit.
 */
#include "algorithms.h"

/* Weak: resolved only when libopenblas is loaded (Debian's libblas.so.3
 * alternative); reference BLAS has no threads to pin. */
extern void openblas_set_num_threads(int n) __attribute__((weak));

void
rsw__blas_single_thread(void)
{
	if (openblas_set_num_threads != NULL)
		openblas_set_num_threads(1);
}
