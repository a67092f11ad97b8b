#include "support/chunked_decoder.hpp"

#include <algorithm>
#include <charconv>

namespace deltacast::testing {

namespace {

constexpr std::size_t max_line = 4096;

} // namespace

bool ChunkedDecoder::feed(std::string_view in, std::string &out) {
    std::string line;
    while (!in.empty()) {
        switch (state_) {
        case State::Size:
            if (take_line(in, line) && !on_size_line(line)) {
                return false;
            }
            break;
        case State::Data: {
            const std::size_t n = std::min(remaining_, in.size());
            out.append(in.substr(0, n));
            in.remove_prefix(n);
            remaining_ -= n;
            if (remaining_ == 0) {
                state_ = State::DataEnd;
            }
            break;
        }
        case State::DataEnd:
            if (take_line(in, line)) {
                if (!line.empty()) {
                    return fail("chunked: missing CRLF after chunk data");
                }
                state_ = State::Size;
            }
            break;
        case State::Trailer:
            if (take_line(in, line) && line.empty()) {
                state_ = State::Done;
            }
            break;
        case State::Done:
            return true;
        case State::Failed:
            return false;
        }
        if (state_ == State::Failed) {
            return false;
        }
    }
    return state_ != State::Failed;
}

// Moves bytes into line_ up to LF; returns true with the complete line (CR stripped) in `line`.
bool ChunkedDecoder::take_line(std::string_view &in, std::string &line) {
    const auto lf = in.find('\n');
    line_.append(in.substr(0, lf == std::string_view::npos ? in.size() : lf));
    in.remove_prefix(lf == std::string_view::npos ? in.size() : lf + 1);
    if (line_.size() > max_line) {
        fail("chunked: line too long");
        return false;
    }
    if (lf == std::string_view::npos) {
        return false;
    }
    if (!line_.empty() && line_.back() == '\r') {
        line_.pop_back();
    }
    line.swap(line_);
    line_.clear();
    return true;
}

bool ChunkedDecoder::on_size_line(const std::string &line) {
    const auto end = std::min(line.find(';'), line.size()); // drop chunk extensions
    std::size_t size = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + end, size, 16);
    if (ec != std::errc{} || ptr == line.data()) {
        return fail("chunked: bad chunk size line '" + line + "'");
    }
    remaining_ = size;
    state_ = size == 0 ? State::Trailer : State::Data;
    return true;
}

bool ChunkedDecoder::fail(std::string message) {
    state_ = State::Failed;
    error_ = std::move(message);
    return false;
}

} // namespace deltacast::testing
