/*
 * sched: sched_setattr(2) on each thread of /proc/self/task, keeping its
 * policy, niceness and flags, with sched_runtime as the requested slice
 * (for SCHED_OTHER threads that is what the kernel reads it as).
 */
#include "sched/sched.h"

#include <dirent.h>
#include <errno.h>
#include <linux/sched.h>
#include <linux/sched/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int gw_sched_slice_all(unsigned us)
{
    DIR *dir = opendir("/proc/self/task");
    if (dir == NULL)
        return -1;
    int n = 0, err = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        pid_t tid = (pid_t)atoi(de->d_name);
        struct sched_attr a;
        memset(&a, 0, sizeof(a));
        if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0) != 0) {
            err = errno;
            continue;
        }
        a.size = sizeof(a);
        a.sched_runtime = (unsigned long long)us * 1000ULL;
        a.sched_flags &= SCHED_FLAG_RESET_ON_FORK; /* no SCHED_FLAG_KEEP_*: set what we read */
        if (syscall(SYS_sched_setattr, tid, &a, 0) != 0)
            err = errno;
        else
            n++;
    }
    closedir(dir);
    if (n == 0 && err) {
        errno = err;
        return -1;
    }
    return n;
}
