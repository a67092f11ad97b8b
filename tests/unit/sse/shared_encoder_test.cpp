// Shared encoders (sse/shared_encoder.hpp): every stream decodes exactly its own frames after
// every write, whatever the others do, and a frame that many streams get is compressed once.

#include "sse/shared_encoder.hpp"

#include "support/stream_decoder.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace deltacast::sse {
namespace {

wire::FramePtr make_frame(const std::string& topic, int n) {
    auto f = std::make_shared<wire::Frame>();
    f->topic = topic;
    f->bytes = "id: " + topic + "-" + std::to_string(n) +
               "\nevent: entity-upsert\ndata: {\"topic\":\"" + topic +
               "\",\"entity\":\"ChatMessageContent\",\"rows\":[{\"id\":" + std::to_string(n) +
               ",\"role\":\"assistant\",\"body\":\"token " + std::to_string(n * 7919 % 1000) +
               " of the reply\"}]}\n\n";
    return f;
}

// One connection: its shared stream, the bytes it has sent, and a browser's decoder.
struct Client {
    Client(SharedEncoders& encoders, Encoding e)
        : stream(encoders), decoder(content_encoding_name(e)) {}

    // Writes `frames` as one write, then checks that everything so far decodes. After a
    // failure the client stops (a corrupt stream would only fail more, slowly).
    void write(const std::vector<std::pair<wire::FramePtr, std::size_t>>& frames) {
        if (broken) {
            return;
        }
        broken = true; // until this write checks out
        std::string out;
        for (const auto& [frame, audience] : frames) {
            ASSERT_TRUE(stream.write(frame, audience, out));
            expected += frame->bytes;
        }
        wire_bytes += out.size();
        ASSERT_TRUE(decoder.decode(out, decoded)) << decoder.error();
        ASSERT_EQ(decoded, expected);
        broken = false;
    }

    SharedStream stream;
    testing::StreamDecoder decoder;
    std::string expected;
    std::string decoded;
    std::size_t wire_bytes = 0;
    bool broken = false;
};

class SharedEncoderTest : public ::testing::TestWithParam<Encoding> {};

// 100 streams getting the same 200 frames: one compression per frame, and each stream's bytes
// are what one encoder of its own would have sent.
TEST_P(SharedEncoderTest, SameFramesCompressedOnce) {
    SharedEncoders encoders(GetParam(), {});
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 100; ++i) {
        clients.push_back(std::make_unique<Client>(encoders, GetParam()));
    }
    auto alone = make_compressor(GetParam(), {});
    std::string alone_bytes;
    for (int n = 0; n < 200; ++n) {
        const auto frame = make_frame("chat:1", n);
        ASSERT_TRUE(alone->write_flush(frame->bytes, alone_bytes));
        for (auto& c : clients) {
            c->write({{frame, clients.size()}});
        }
    }
    EXPECT_EQ(encoders.compressions(), 200u);
    for (auto& c : clients) {
        EXPECT_EQ(c->wire_bytes, alone_bytes.size());
    }
}

// A frame for one stream (its `ready`, a heartbeat, its user's topic) takes that stream off
// the shared encoder; the others keep theirs and their history.
TEST_P(SharedEncoderTest, OneStreamsFrameLeavesTheOthersTheirEncoder) {
    SharedEncoders encoders(GetParam(), {});
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 10; ++i) {
        clients.push_back(std::make_unique<Client>(encoders, GetParam()));
    }
    for (int n = 0; n < 20; ++n) {
        const auto frame = make_frame("chat:1", n);
        for (auto& c : clients) {
            c->write({{frame, 10}});
        }
    }
    const auto before = encoders.compressions();
    clients[3]->write({{make_frame("user:3", 1), 1}});
    EXPECT_EQ(encoders.compressions(), before + 1);
    for (int n = 20; n < 40; ++n) {
        const auto frame = make_frame("chat:1", n);
        for (auto& c : clients) {
            c->write({{frame, 10}});
        }
    }
    // Client 3's chain is its own now: two compressions per frame, not ten.
    EXPECT_EQ(encoders.compressions(), before + 1 + 2 * 20);
    // The nine kept their history: their bytes for the last 20 frames are the in-stream size.
    EXPECT_LT(clients[0]->wire_bytes, clients[3]->wire_bytes);
}

// An empty frame makes no output, not even zstd's frame header: a stream that leaves right
// after it has no frame to end (found by fuzz_sse_frame: a stray end-of-frame block).
TEST_P(SharedEncoderTest, LeavingAfterAnEmptyFrameEndsNothing) {
    SharedEncoders encoders(GetParam(), {});
    Client a(encoders, GetParam());
    Client b(encoders, GetParam());
    auto empty = std::make_shared<wire::Frame>();
    a.write({{empty, 2}});
    b.write({{empty, 2}});
    b.write({{make_frame("user:2", 1), 1}});
    const auto shared = make_frame("chat:1", 2);
    a.write({{shared, 2}});
    b.write({{shared, 2}});
}

// Streams that join at different frames are on different chains at first; merge points bring
// them onto one, and the streams keep decoding through the switch.
TEST_P(SharedEncoderTest, ChainsMergeAtMergePoints) {
    SharedEncoders encoders(GetParam(), {});
    std::vector<std::unique_ptr<Client>> clients;
    for (int n = 0; n < 400; ++n) {
        if (n < 20) {
            clients.push_back(std::make_unique<Client>(encoders, GetParam())); // one per frame
        }
        const auto frame = make_frame("chat:1", n);
        for (auto& c : clients) {
            c->write({{frame, clients.size()}});
        }
    }
    // After the joins, a few merge points (one frame in 64) leave one chain or two.
    const auto before = encoders.compressions();
    for (int n = 400; n < 450; ++n) {
        const auto frame = make_frame("chat:1", n);
        for (auto& c : clients) {
            c->write({{frame, clients.size()}});
        }
    }
    EXPECT_LE(encoders.compressions() - before, 2u * 50u);
}

// The property: random topics per stream, random lag (frames queued and written in batches),
// frames for one stream, idle releases, failures of nothing. Every stream decodes exactly its
// own frames after every write.
TEST_P(SharedEncoderTest, RandomDeliveriesAlwaysDecode) {
    for (unsigned seed = 1; seed <= 30; ++seed) {
        std::mt19937 rng(seed);
        SharedEncoders encoders(GetParam(), {});
        const int streams = 12;
        std::vector<std::unique_ptr<Client>> clients;
        std::vector<std::vector<int>> topics(streams);
        for (int i = 0; i < streams; ++i) {
            clients.push_back(std::make_unique<Client>(encoders, GetParam()));
            for (int t = 0; t < 3; ++t) {
                if (rng() % 2 == 0 || t == 0) {
                    topics[i].push_back(t);
                }
            }
        }
        std::vector<std::deque<std::pair<wire::FramePtr, std::size_t>>> pending(streams);
        for (int step = 0; step < 300; ++step) {
            const int kind = static_cast<int>(rng() % 10);
            if (kind < 7) { // a topic's frame to its subscribers, in a shuffled order
                const int topic = static_cast<int>(rng() % 3);
                const auto frame = make_frame("topic:" + std::to_string(topic), step);
                std::vector<int> audience;
                for (int i = 0; i < streams; ++i) {
                    if (std::find(topics[i].begin(), topics[i].end(), topic) != topics[i].end()) {
                        audience.push_back(i);
                    }
                }
                std::shuffle(audience.begin(), audience.end(), rng);
                for (int i : audience) {
                    pending[i].emplace_back(frame, audience.size());
                }
            } else if (kind == 7) { // a frame for one stream
                const int i = static_cast<int>(rng() % streams);
                pending[i].emplace_back(make_frame("own:" + std::to_string(i), step), 1);
            } else if (kind == 8) { // an idle release
                clients[rng() % streams]->stream.release_idle();
            }
            for (int i = 0; i < streams; ++i) { // some streams lag and write in batches
                if (!pending[i].empty() && rng() % 3 != 0) {
                    clients[i]->write({pending[i].begin(), pending[i].end()});
                    pending[i].clear();
                }
                ASSERT_FALSE(HasFatalFailure()) << "seed " << seed << " step " << step;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Encodings, SharedEncoderTest,
                         ::testing::Values(Encoding::Zstd, Encoding::Gzip),
                         [](const auto& param_info) {
                             return std::string(content_encoding_name(param_info.param));
                         });

} // namespace
} // namespace deltacast::sse
