// A watchdog for tests that block on sockets.
#ifndef ASYNCHAT_TESTS_SUPPORT_WATCHDOG_HPP
#define ASYNCHAT_TESTS_SUPPORT_WATCHDOG_HPP

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace test {

// Bounds the blocking reads and writes of a test: if it is still alive after
// `limit`, it shuts the given sockets down (both directions), so every
// blocked call returns with an error instead of hanging the suite. Only a
// watchdog: a passing test never waits for it.
class watchdog {
public:
    watchdog(std::vector<int> sockets, std::chrono::seconds limit)
        : thread_([this, sockets = std::move(sockets), limit] {
              std::unique_lock<std::mutex> lock(mutex_);
              if (changed_.wait_for(lock, limit, [this] { return done_; })) return;
              fired_ = true;
              for (const int fd : sockets) ::shutdown(fd, SHUT_RDWR);
          }) {}
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;
    ~watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }
    [[nodiscard]] bool fired() {
        std::lock_guard<std::mutex> lock(mutex_);
        return fired_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool done_ = false;
    bool fired_ = false;
    std::thread thread_;  // last: starts once the members above exist
};

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_WATCHDOG_HPP
