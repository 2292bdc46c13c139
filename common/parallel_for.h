#pragma once

#include <cstddef>
#include <functional>

namespace ldgs {

// Runs a task on some other thread (a thread pool's post).
using Executor = std::function<void(std::function<void()>)>;

// Calls `fn(i)` for every i in [0, n), on the calling thread and on up to `helpers` tasks
// posted to `executor`, and returns when every call has returned. The caller takes items
// too, so it never waits on a helper that has not started: a busy or small pool only makes
// it slower, never stuck. `fn` must be safe to call concurrently for different i.
void ParallelFor(const Executor& executor, int helpers, size_t n,
                 const std::function<void(size_t)>& fn);

}  // namespace ldgs
