// Running a child process with a deadline, for the process-level fault tests.
#pragma once
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rel {

struct child_result {
    bool finished = false;   ///< exited (or was killed by a signal) before the deadline
    int status = 0;          ///< waitpid status
    double seconds = 0;      ///< from start to exit
    std::string out;         ///< its stdout
};

/// Waits for pid until the deadline; kills it (SIGKILL) if the deadline passes.
inline child_result wait_child(pid_t pid, std::chrono::steady_clock::time_point start, std::chrono::milliseconds deadline) {
    child_result r;
    for (;;) {
        pid_t w = ::waitpid(pid, &r.status, WNOHANG);
        if (w == pid) {
            r.finished = true;
            break;
        }
        if (std::chrono::steady_clock::now() - start > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &r.status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

/// A started child with its stdout on a pipe.
struct child {
    pid_t pid = -1;
    int out_fd = -1;
    std::chrono::steady_clock::time_point start;

    explicit child(const std::vector<std::string>& argv) {
        int fds[2];
        if (::pipe(fds) != 0) return;
        start = std::chrono::steady_clock::now();
        pid = ::fork();
        if (pid == 0) {
            ::dup2(fds[1], 1);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_fd = fds[0];
    }
    ~child() {
        if (out_fd >= 0) ::close(out_fd);
    }

    /// Reads stdout until `marker` appears or the deadline passes.
    bool wait_for_output(const std::string& marker, std::string& out, std::chrono::milliseconds deadline) {
        ::fcntl(out_fd, F_SETFL, O_NONBLOCK);
        auto until = std::chrono::steady_clock::now() + deadline;
        char buf[256];
        while (std::chrono::steady_clock::now() < until) {
            ssize_t n = ::read(out_fd, buf, sizeof buf);
            if (n > 0) out.append(buf, static_cast<std::size_t>(n));
            if (out.find(marker) != std::string::npos) return true;
            if (n == 0) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return false;
    }

    child_result finish(std::chrono::milliseconds deadline) {
        child_result r = wait_child(pid, start, deadline);
        char buf[256];
        ::fcntl(out_fd, F_SETFL, O_NONBLOCK);
        for (ssize_t n; (n = ::read(out_fd, buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
        return r;
    }
};

/// Lines of a file.
inline std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
}

inline std::string temp_path(const std::string& name) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/tacit_rel_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace rel
