#include "sse/hub.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace deltacast::sse {

void Hub::join(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub) {
    Shard* shard = sub->shard();
    for (const auto& topic : topics) {
        auto& groups = table_[topic];
        auto group = std::find_if(groups.begin(), groups.end(),
                                  [shard](const Group& g) { return g.shard == shard; });
        if (group == groups.end()) {
            group = groups.insert(groups.end(), Group{shard, {}, nullptr});
        }
        group->subs.push_back(sub);
        group->snapshot.reset();
    }
}

void Hub::leave(const std::vector<std::string>& topics, const std::shared_ptr<Subscriber>& sub) {
    Shard* shard = sub->shard();
    for (const auto& topic : topics) {
        const auto it = table_.find(topic);
        if (it == table_.end()) {
            continue;
        }
        auto& groups = it->second;
        const auto group = std::find_if(groups.begin(), groups.end(),
                                        [shard](const Group& g) { return g.shard == shard; });
        if (group == groups.end()) {
            continue;
        }
        auto& subs = group->subs;
        const auto pos = std::find(subs.begin(), subs.end(), sub);
        if (pos != subs.end()) {
            *pos = std::move(subs.back()); // order among subscribers does not matter
            subs.pop_back();
            group->snapshot.reset();
        }
        if (subs.empty()) {
            groups.erase(group);
        }
        if (groups.empty()) {
            table_.erase(it);
        }
    }
}

void Hub::publish(wire::FramePtr frame) {
    const auto it = table_.find(frame->topic);
    if (it == table_.end()) {
        return;
    }
    for (auto& group : it->second) {
        if (group.shard == nullptr) {
            for (const auto& sub : group.subs) {
                sub->push(frame);
            }
            continue;
        }
        if (!group.snapshot) {
            group.snapshot = std::make_shared<const Subscribers>(group.subs);
        }
        boost::asio::post(group.shard->strand, [subs = group.snapshot, frame] {
            for (const auto& sub : *subs) {
                sub->deliver(frame, subs->size());
            }
        });
    }
}

std::size_t Hub::subscribers(const std::string& topic) const {
    const auto it = table_.find(topic);
    if (it == table_.end()) {
        return 0;
    }
    std::size_t n = 0;
    for (const auto& group : it->second) {
        n += group.subs.size();
    }
    return n;
}

} // namespace deltacast::sse
