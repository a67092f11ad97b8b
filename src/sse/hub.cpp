#include "sse/hub.hpp"

#include <algorithm>

namespace deltacast::sse {

void Hub::join(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub) {
    for (const auto& topic : topics) {
        table_[topic].push_back(sub);
    }
}

void Hub::leave(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub) {
    for (const auto& topic : topics) {
        const auto it = table_.find(topic);
        if (it == table_.end()) {
            continue;
        }
        auto& subs = it->second;
        const auto pos = std::find(subs.begin(), subs.end(), sub);
        if (pos != subs.end()) {
            *pos = std::move(subs.back());  // order among subscribers does not matter
            subs.pop_back();
        }
        if (subs.empty()) {
            table_.erase(it);
        }
    }
}

void Hub::publish(delta::FramePtr frame) {
    const auto it = table_.find(frame->topic);
    if (it == table_.end()) {
        return;
    }
    for (const auto& sub : it->second) {
        sub->push(frame);
    }
}

std::size_t Hub::subscribers(const std::string& topic) const {
    const auto it = table_.find(topic);
    return it == table_.end() ? 0 : it->second.size();
}

}  // namespace deltacast::sse
