/*
 * sched: how the kernel schedules rfmgw's threads.
 *
 * Linux 6.12+ (EEVDF) lets a thread ask for a shorter time slice than the
 * default (about 3 ms on 2 CPUs): a woken thread with a short slice gets
 * an earlier deadline and runs sooner. For rfmgw that means a small call
 * waits less behind large results on a shared core, at the price of more
 * preemption when the CPU is saturated (docs/performance.md measures both).
 */
#ifndef GW_SCHED_H
#define GW_SCHED_H

/**
 * Asks for a slice of `us` microseconds (100 to 100000) for every thread
 * of the process as it is now (call it once all threads exist). Returns
 * the number of threads changed, or -1 with the reason in errno (e.g.
 * EINVAL on a kernel without custom slices).
 */
int gw_sched_slice_all(unsigned us);

#endif
