// How many cores ferry uses, how many worker threads it starts on them, and their names.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <thread>

namespace ferry::util {

// The CPUs this process may run on (its affinity mask: taskset, cgroups' cpusets).
inline int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// What the user asked for (--threads), else one per usable core.
inline int worker_threads(int requested) { return requested > 0 ? requested : usable_cores(); }

// Keeps the whole process, every thread it starts, to the first `cores` of the CPUs it
// may run on: `--threads N` means N cores, not only N of the workers. Nothing happens
// for cores <= 0 or at least the CPUs allowed.
inline void use_at_most_cores(int cores) {
  cpu_set_t set;
  if (cores <= 0 || sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) <= cores) return;
  cpu_set_t kept;
  CPU_ZERO(&kept);
  for (int cpu = 0, left = cores; cpu < CPU_SETSIZE && left > 0; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      CPU_SET(cpu, &kept);
      --left;
    }
  }
  sched_setaffinity(0, sizeof kept, &kept);
}

// Names the calling thread ("ferry-seal"), as `top -H`, `perf` and debuggers show it;
// the kernel keeps the first 15 characters.
inline void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace ferry::util
