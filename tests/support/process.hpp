// Runs an example binary as a child process for end-to-end tests. Its output
// is drained by a thread (a full pipe would block the child) and kept for
// inspection; the test reads the address it prints and stops it with SIGTERM.
#ifndef ASYNCHAT_TESTS_SUPPORT_PROCESS_HPP
#define ASYNCHAT_TESTS_SUPPORT_PROCESS_HPP

#include "asio.hpp"

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {

class child_process {
public:
    explicit child_process(std::vector<std::string> argv) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (rc != 0) {
            ::close(out[0]);
            throw std::runtime_error("cannot start " + argv[0]);
        }
        reader_ = std::thread([this, fd = out[0]] {
            char buf[4096];
            for (;;) {
                const ssize_t n = ::read(fd, buf, sizeof buf);
                std::lock_guard<std::mutex> lock(mutex_);
                if (n <= 0) {
                    eof_ = true;
                    changed_.notify_all();
                    break;
                }
                output_.append(buf, static_cast<std::size_t>(n));
                changed_.notify_all();
            }
            ::close(fd);
        });
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    ~child_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        reader_.join();
    }

    // Everything the child printed so far.
    std::string output() {
        std::lock_guard<std::mutex> lock(mutex_);
        return output_;
    }

    // Waits (at most 20 s) until the output contains `text`.
    bool wait_for_output(const std::string& text) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(20), [&] {
            return eof_ || output_.find(text) != std::string::npos;
        }) && output_.find(text) != std::string::npos;
    }

    // The endpoint printed as "listening on ADDR:PORT".
    asio::ip::tcp::endpoint listening_endpoint() {
        if (!wait_for_output("listening on ")) throw std::runtime_error("the example never said where it listens");
        std::string line;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait_for(lock, std::chrono::seconds(20), [&] {
                const auto at = output_.find("listening on ");
                return eof_ || output_.find_first_of(" \n", at + 13) != std::string::npos;
            });
            const auto at = output_.find("listening on ") + 13;
            line = output_.substr(at, output_.find_first_of(" \n", at) - at);
        }
        const auto colon = line.rfind(':');
        std::string host = line.substr(0, colon);
        if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
        const auto port = static_cast<unsigned short>(std::stoi(line.substr(colon + 1)));
        return {asio::ip::make_address(host), port};
    }

    // Sends SIGTERM and returns the exit status (-1 if killed by a signal).
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait();
    }

    // Waits for the child to exit; returns its status (-1 if killed by a signal).
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = -1;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
    bool eof_ = false;
};

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_PROCESS_HPP
