/*
 * work: a few background threads for CPU-heavy steps that must not hold up
 * an HTTP thread — today the JSON conversion of large results, so that a
 * small request served by the same HTTP thread is not kept waiting behind
 * ten thousand rows (docs/performance.md).
 *
 * The threads run at a lower scheduling priority (nice) than the HTTP and
 * loop threads: on a busy machine latency-sensitive work goes first.
 */
#ifndef GW_WORK_H
#define GW_WORK_H

typedef struct gw_work gw_work_t;

/** One piece of work; embed it in your own object. */
struct gw_work {
    gw_work_t *next;
    void (*run)(gw_work_t *w); /* on a work thread */
};

typedef struct gw_workers gw_workers_t;

/**
 * Starts `n` threads (1..64) running at `nice` (0..19) above the caller's
 * priority. NULL on failure (logged).
 */
gw_workers_t *gw_workers_start(int n, int nice);
/** Queues `w`; any thread. */
void gw_workers_submit(gw_workers_t *ws, gw_work_t *w);
/** Runs what is queued, stops the threads and frees them. NULL is fine. */
void gw_workers_stop(gw_workers_t *ws);

#endif
