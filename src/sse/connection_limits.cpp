#include "sse/connection_limits.hpp"

namespace deltacast::sse {

ConnectionLimits::Verdict ConnectionLimits::acquire(const std::string& subject) {
    std::lock_guard lock(mutex_);
    if (open_ >= per_process_) {
        return Verdict::ProcessFull;
    }
    if (per_subject_ > 0) {
        auto& count = by_subject_[subject];
        if (count >= per_subject_) {
            return Verdict::SubjectFull; // count >= 1 here, so the entry is not a fresh zero
        }
        ++count;
    }
    ++open_;
    return Verdict::Admitted;
}

void ConnectionLimits::release(const std::string& subject) {
    std::lock_guard lock(mutex_);
    --open_;
    if (per_subject_ > 0) {
        const auto it = by_subject_.find(subject);
        if (it != by_subject_.end() && --it->second == 0) {
            by_subject_.erase(it);
        }
    }
}

std::size_t ConnectionLimits::open() const {
    std::lock_guard lock(mutex_);
    return open_;
}

std::size_t ConnectionLimits::open_for(const std::string& subject) const {
    std::lock_guard lock(mutex_);
    const auto it = by_subject_.find(subject);
    return it == by_subject_.end() ? 0 : it->second;
}

} // namespace deltacast::sse
