#include "support/client_view.hpp"

#include <utility>

namespace deltacast::testing {

namespace {

constexpr std::size_t kMaxErrors = 20; // a broken stream must not flood the report

} // namespace

std::string row_key(const nlohmann::json& row) {
    const auto it = row.find("id");
    return it == row.end() ? std::string("<no id>") : it->dump();
}

ClientView::ClientView(std::string name, std::vector<std::string> topics)
    : name_(std::move(name)), topics_(std::move(topics)) {
    for (const auto& topic : topics_) {
        views_[topic];
    }
}

void ClientView::load(const std::string& topic, const std::vector<nlohmann::json>& rows) {
    auto& view = views_[topic];
    view.clear();
    for (const auto& row : rows) {
        view[row_key(row)] = row;
    }
}

void ClientView::apply(const SseEvent& event, const RowSource& source) {
    ++stats_.events;
    if (event.event == "ready" || event.event == "poke" || event.event == "message") {
        return;
    }
    nlohmann::json data;
    try {
        data = nlohmann::json::parse(event.data);
    } catch (const nlohmann::json::exception& e) {
        if (errors_.size() < kMaxErrors) {
            errors_.push_back(event.event + " with unparsable data: " + e.what());
        }
        return;
    }
    if (event.event == "entity-upsert") {
        apply_upsert(data);
    } else if (event.event == "entity-delete") {
        apply_delete(data);
    } else if (event.event == "resync") {
        apply_resync(data, source);
    } else if (errors_.size() < kMaxErrors) {
        errors_.push_back("unexpected event `" + event.event + "`: " + event.data);
    }
}

ClientView::RowMap* ClientView::topic_rows(const nlohmann::json& data, const std::string& event) {
    const auto topic = data.value("topic", std::string());
    const auto it = views_.find(topic);
    if (it == views_.end()) {
        if (errors_.size() < kMaxErrors) {
            errors_.push_back(event + " for topic '" + topic + "' this client did not ask for");
        }
        return nullptr;
    }
    return &it->second;
}

void ClientView::apply_upsert(const nlohmann::json& data) {
    auto* view = topic_rows(data, "entity-upsert");
    if (view == nullptr) {
        return;
    }
    for (const auto& row : data.value("rows", nlohmann::json::array())) {
        (*view)[row_key(row)] = row;
        ++stats_.upsert_rows;
    }
}

void ClientView::apply_delete(const nlohmann::json& data) {
    auto* view = topic_rows(data, "entity-delete");
    if (view == nullptr) {
        return;
    }
    for (const auto& id : data.value("ids", nlohmann::json::array())) {
        view->erase(id.dump());
        ++stats_.deleted_ids;
    }
}

void ClientView::apply_resync(const nlohmann::json& data, const RowSource& source) {
    ++stats_.resyncs[data.value("reason", std::string("<none>"))];
    for (const auto& topic : data.value("topics", nlohmann::json::array())) {
        const auto key = topic.get<std::string>();
        if (views_.count(key) == 0) {
            if (errors_.size() < kMaxErrors) {
                errors_.push_back("resync for topic '" + key + "' this client did not ask for");
            }
            continue;
        }
        load(key, source(key));
    }
}

std::vector<std::string> ClientView::diff(const std::string& topic,
                                          const std::vector<nlohmann::json>& truth) const {
    std::vector<std::string> out;
    const auto prefix = name_ + " " + topic + ": ";
    const auto& view = rows(topic);
    std::map<std::string, const nlohmann::json*> expected;
    for (const auto& row : truth) {
        expected[row_key(row)] = &row;
    }
    for (const auto& [key, row] : expected) {
        const auto it = view.find(key);
        if (it == view.end()) {
            out.push_back(prefix + "missing row id=" + key + " db=" + row->dump());
        } else if (it->second != *row) {
            out.push_back(prefix + "stale row id=" + key + "\n    client=" + it->second.dump() +
                          "\n    db    =" + row->dump());
        }
    }
    for (const auto& [key, row] : view) {
        if (expected.count(key) == 0) {
            out.push_back(prefix + "row id=" + key + " is gone from the db but the client has " +
                          row.dump());
        }
    }
    return out;
}

std::vector<std::string> ClientView::compare(const RowSource& source) const {
    std::vector<std::string> out;
    for (const auto& error : errors_) {
        out.push_back(name_ + ": " + error);
    }
    for (const auto& topic : topics_) {
        auto lines = diff(topic, source(topic));
        out.insert(out.end(), std::make_move_iterator(lines.begin()),
                   std::make_move_iterator(lines.end()));
    }
    return out;
}

const ClientView::RowMap& ClientView::rows(const std::string& topic) const {
    static const RowMap kEmpty;
    const auto it = views_.find(topic);
    return it == views_.end() ? kEmpty : it->second;
}

} // namespace deltacast::testing
