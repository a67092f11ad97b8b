#pragma once
// ConnectionLimits: admission of stream connections, per process (server.max_connections,
// over it -> 503) and per authenticated subject (server.max_connections_per_subject, over it
// -> 429), so that one user or one leaked token cannot take the whole process. Both answers
// carry Retry-After. Subjects are counted only while they hold a connection, so the table is
// as large as the set of connected subjects.
//
// Threading: any thread (sessions run on their own strands); one mutex, held for a map lookup.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace deltacast::sse {

class ConnectionLimits {
public:
    enum class Verdict { Admitted, ProcessFull, SubjectFull };

    /// `per_subject` = 0 disables the per-subject limit (auth.mode = "none": one "anonymous").
    ConnectionLimits(std::size_t per_process, std::size_t per_subject)
        : per_process_(per_process), per_subject_(per_subject) {}

    /// On Admitted the caller holds a slot and must release() it exactly once.
    Verdict acquire(const std::string& subject);
    void release(const std::string& subject);

    std::size_t open() const;
    std::size_t open_for(const std::string& subject) const;

private:
    const std::size_t per_process_;
    const std::size_t per_subject_;
    mutable std::mutex mutex_;
    std::size_t open_ = 0;
    std::unordered_map<std::string, std::size_t> by_subject_;
};

} // namespace deltacast::sse
