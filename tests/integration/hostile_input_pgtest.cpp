// Hostile input against the real server over real sockets: control bytes in topics, ids and
// Last-Event-ID (raw and percent-encoded), invalid UTF-8, oversized topic lists, malformed
// signals sent with pg_notify and a slowloris client. After every case the server must still
// answer /healthz and serve a normal stream. (Size limits on the request line and headers, and
// plain malformed topic lists, are in http_errors_pgtest.cpp.)

#include "server_fixture.hpp"
#include "support/http_head.hpp"
#include "support/socket_util.hpp"

namespace deltacast::testing {
namespace {

using namespace std::string_literals;

/// One response read off a raw socket: the request bytes are sent as they are, so tests can
/// send what no HTTP library would (bare CR/LF, NUL, invalid UTF-8, byte-by-byte headers).
struct RawResponse {
    int status = 0;  // 0 when no complete head arrived
    std::vector<std::pair<std::string, std::string>> headers;
    std::string head;  // the raw response head, to search for injected lines
    std::string body;
};

class HostileInputTest : public ServerFixture {
protected:
    /// Sends `bytes` on a fresh connection and reads until the server closes it or `timeout`.
    RawResponse raw_request(std::string_view bytes, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = SteadyClock::now() + timeout;
        std::string error;
        UniqueFd fd = connect_tcp("127.0.0.1", port(), deadline, error);
        EXPECT_TRUE(fd) << error;
        EXPECT_TRUE(fd && send_all(fd.get(), bytes, error)) << error;
        std::string all;
        char buf[4096];
        while (fd) {
            const auto got = recv_some(fd.get(), buf, sizeof(buf), deadline);
            if (got.status != RecvStatus::Data) {
                break;
            }
            all.append(buf, got.size);
        }
        RawResponse res;
        const auto end = all.find("\r\n\r\n");
        if (end == std::string::npos) {
            return res;
        }
        res.head = all.substr(0, end);
        res.body = all.substr(end + 4);
        EXPECT_TRUE(parse_response_head(res.head, res.status, res.headers, error)) << error;
        return res;
    }

    /// A GET of `target` with a valid token and `extra` header lines (each ending in CRLF).
    RawResponse raw_get(const std::string& target, const std::string& extra = "") {
        return raw_request("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           make_token("u1") + "\r\nConnection: close\r\n" + extra + "\r\n");
    }

    /// A 400 whose body is a JSON object with an "error", and no line the client smuggled in.
    static void expect_clean_400(const RawResponse& res, const std::string& what) {
        EXPECT_EQ(res.status, 400) << what << "\n" << res.head;
        EXPECT_EQ(find_header(res.headers, "Content-Type").value_or(""), "application/json")
            << what;
        const auto body = nlohmann::json::parse(res.body, nullptr, false);
        EXPECT_TRUE(body.is_object() && body.contains("error")) << what << " body=" << res.body;
        EXPECT_FALSE(icontains(res.head, "injected")) << what << "\n" << res.head;
    }

    /// The server still answers /healthz and still delivers on a fresh stream.
    void expect_still_serving() {
        EXPECT_EQ(http_get(port(), "/healthz").status, 200);
        auto client = open_stream("org:1");
        pg_.notify("signal:org:1", "");
        EXPECT_TRUE(client->wait_for([](const SseEvent& e) { return e.event == "poke"; }, 5s))
            << "no poke on a fresh stream";
    }
};

// Invariant: CR, LF or NUL in a topic, percent-encoded or raw, is a clean 400 with a JSON
// reason, and never becomes a line of the response head.
TEST_F(HostileInputTest, ControlBytesInTopicsAre400WithoutInjection) {
    start(make_test_config());
    const std::string stream = "/api/sse/stream?topics=";
    const std::vector<std::string> targets = {
        stream + "org:1%0D%0AX-Injected:%20yes",
        stream + "org:1%0AX-Injected:%20yes",
        stream + "org:1%0D",
        stream + "org:1%00",
        stream + "chat%00:1",
        stream + "org:1,org:2%0D%0A%0D%0Aevent:%20injected",
        stream + "org:1\rX-Injected: yes",  // raw bytes: the request line itself is broken
        stream + "org:1\nX-Injected: yes",
        stream + "org:1\0x"s,
    };
    for (const auto& target : targets) {
        expect_clean_400(raw_get(target), target);
    }
    EXPECT_TRUE(listening().empty());
    expect_still_serving();
}

// Invariant: CR, LF or NUL in Last-Event-ID (header or lastEventId) is a clean 400; the value is
// never written back as an SSE field or a header.
TEST_F(HostileInputTest, ControlBytesInLastEventIdAre400) {
    start(make_test_config());
    const std::string stream = "/api/sse/stream?topics=org:1";
    for (const std::string id : {"x-1%0D%0Aevent:%20injected", "x-1%0A", "x-1%0D", "x-1%00"}) {
        expect_clean_400(raw_get(stream + "&lastEventId=" + id), id);
    }
    expect_clean_400(raw_get(stream, "Last-Event-ID: x-1\0injected\r\n"s),
                     "raw NUL in header");
    expect_clean_400(raw_get(stream, "Last-Event-ID: x-1\rX-Injected: yes\r\n"),
                     "raw CR in header");
    expect_clean_400(raw_get(stream + "&lastEventId=" + std::string(129, 'a')), "129 bytes");
    expect_still_serving();
}

// Invariant: a Last-Event-ID without control bytes but otherwise junk (invalid UTF-8, markup,
// no epoch, a seq this process never issued or that overflows) resyncs its topics; the stream
// opens and the junk is not echoed.
TEST_F(HostileInputTest, JunkLastEventIdResyncs) {
    start(make_test_config());
    open_stream("org:1");  // learns the epoch
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Last-Event-ID", last_epoch_ + "-18446744073709551615"},
        {"Last-Event-ID", last_epoch_ + "-99999999999999999999999"},
        {"Last-Event-ID", last_epoch_ + "--1"},
        {"Last-Event-ID", "\xff\xfe-1"},
        {"Last-Event-ID", "<script>alert(1)</script>"},
        {"Last-Event-ID", std::string(128, '-')},
        {"", "%FF%FE-%C3%28"},  // lastEventId parameter
    };
    for (const auto& [header, value] : cases) {
        SseClient client;
        SseRequest req{"127.0.0.1", port(), "/api/sse/stream?topics=org:1",
                       {{"Authorization", "Bearer " + make_token("u1")}}};
        if (header.empty()) {
            req.target += "&lastEventId=" + value;
        } else {
            req.headers.emplace_back(header, value);
        }
        ASSERT_TRUE(client.open(req, 5s)) << client.error();
        ASSERT_EQ(client.status(), 200) << value;
        const auto ready = client.next_event(5s);
        ASSERT_TRUE(ready && ready->event == "ready") << value;
        const auto ev = client.next_event(5s);
        ASSERT_TRUE(ev) << value;
        EXPECT_EQ(ev->event, "resync") << value;
        const auto data = nlohmann::json::parse(ev->data, nullptr, false);
        EXPECT_EQ(data.value("topics", nlohmann::json::array()), nlohmann::json::array({"org:1"}));
        EXPECT_EQ(ev->data.find("script"), std::string::npos);
    }
    expect_still_serving();
}

// Invariant: invalid UTF-8 in the query string never takes the server down: a topic with it is
// a 400 whose JSON body replaces the bad bytes; other parameters with it are ignored.
// (Before the fix, `topics=%FF:1` threw out of json_response and terminated the process.)
TEST_F(HostileInputTest, InvalidUtf8InQueryString) {
    start(make_test_config());
    const std::string stream = "/api/sse/stream?topics=";
    for (const std::string topics : {"%FF:1", "org:%C3%28", "%C0%AF:1", "org:1,%ED%A0%80:1",
                                     "\xff\xfe:1", "org:\xc3\x28"}) {
        const auto res = raw_get(stream + topics);
        expect_clean_400(res, topics);
        const auto body = nlohmann::json::parse(res.body, nullptr, false);
        EXPECT_TRUE(body.is_object() && body.value("topic", "").find("\xEF\xBF\xBD") !=
                                            std::string::npos)
            << topics << " body=" << res.body;
    }
    const auto ok = raw_request("GET " + stream + "org:1&x=%FF%C3%28 HTTP/1.1\r\nHost: x\r\n" +
                                    "Authorization: Bearer " + make_token("u1") + "\r\n\r\n",
                                1s);  // a stream: read the head, then stop waiting
    EXPECT_EQ(ok.status, 200) << ok.head;
    expect_still_serving();
}

// Invariant: topic lists that are huge in count or in length are rejected as a whole with 400
// (no partial subscription, nothing LISTENed), within the request-line limit.
TEST_F(HostileInputTest, HugeTopicListsAre400) {
    start(make_test_config());
    std::string many;
    for (int i = 0; i < 1000; ++i) {
        many += (i == 0 ? "" : ",") + std::string("org:") + std::to_string(i);
    }
    const std::vector<std::string> lists = {
        many,
        std::string(6000, ','),
        "chat:" + std::string(6000, '9'),
        "org:1," + std::string(6000, 'a') + ":1",
        "org:1" + std::string(2000, '+'),  // '+' decodes to a space
    };
    for (const auto& list : lists) {
        expect_clean_400(raw_get("/api/sse/stream?topics=" + list), list.substr(0, 40));
    }
    EXPECT_TRUE(listening().empty());
    expect_still_serving();
}

// Invariant: every malformed signal (bad JSON, wrong types, out-of-range numbers, deep nesting,
// near the 8000-byte cap) is counted, resyncs the topic, and a later valid signal still arrives.
TEST_F(HostileInputTest, MalformedSignalsAreCountedAndResync) {
    start(make_test_config());
    const auto chat = fresh_chat_id();
    create_chat(chat);
    const std::string channel = "signal:chat:" + std::to_string(chat);
    auto client = open_stream("chat:" + std::to_string(chat));
    const std::vector<std::string> payloads = {
        "",
        "[]",
        "\"contentIds\"",
        R"({"contentIds":"101"})",
        R"({"contentIds":{"0":101}})",
        R"({"contentIds":[true]})",
        R"({"contentIds":[1.5]})",
        R"({"contentIds":[null]})",
        R"({"contentIds":[99999999999999999999999999]})",
        R"({"contentIds":[9223372036854775808]})",
        R"({"contentIds":["-9223372036854775809"]})",
        R"({"contentIds":[1e400]})",
        R"({"otherIds":[1]})",
        R"({"contentIds":[1],)",
        "{\"contentIds\":" + std::string(3900, '[') + std::string(3900, ']') + "}",
        R"({"contentIds":[")" + std::string(7950, '7') + "\"]}",
    };
    const auto before = metric("deltacast_signals_malformed_total");
    for (const auto& payload : payloads) {
        ASSERT_LT(payload.size(), 8000U);
        pg_.notify(channel, payload);
        const auto ev = client->wait_for([](const SseEvent& e) { return e.event == "resync"; }, 5s);
        ASSERT_TRUE(ev) << "no resync for " << payload.substr(0, 60);
        EXPECT_EQ(nlohmann::json::parse(ev->data).value("reason", ""), "malformed-signal");
    }
    EXPECT_EQ(metric("deltacast_signals_malformed_total"), before + payloads.size());

    // A valid signal near the cap: the real row plus ids no row has (they come out as deletes).
    const auto id = write_message(chat, "after the storm");
    std::string ids = id;
    for (int missing = -1; ids.size() < 7900; --missing) {
        ids += "," + std::to_string(missing);
    }
    const std::string big = R"({"contentIds":[)" + ids + "]}";
    ASSERT_LT(big.size(), 8000U);
    pg_.notify(channel, big);
    EXPECT_TRUE(wait_for_row(*client, id));
    EXPECT_EQ(metric("deltacast_signals_malformed_total"), before + payloads.size());
    expect_still_serving();
}

// Invariant: a client dribbling header bytes is dropped after server.header_timeout_ms even
// though it keeps sending, and the server serves other clients meanwhile.
TEST_F(HostileInputTest, SlowlorisIsDroppedAfterHeaderTimeout) {
    start(make_test_config("header_timeout_ms = 1500\n"));
    std::string error;
    const auto started = SteadyClock::now();
    UniqueFd slow = connect_tcp("127.0.0.1", port(), started + 5s, error);
    ASSERT_TRUE(slow) << error;
    ASSERT_TRUE(send_all(slow.get(), "GET /healthz HTTP/1.1\r\nHost: x\r\n", error)) << error;
    bool closed = false;
    bool served_meanwhile = false;
    while (!closed && SteadyClock::now() < started + 6s) {
        // One byte every 100 ms: each arrives long before any per-read timeout would fire.
        if (!send_all(slow.get(), "X", error)) {
            closed = true;  // EPIPE / ECONNRESET: the server closed it
            break;
        }
        char buf[256];
        const auto got = recv_some(slow.get(), buf, sizeof(buf), SteadyClock::now() + 100ms);
        closed = got.status == RecvStatus::Closed || got.status == RecvStatus::Error;
        ASSERT_NE(got.status, RecvStatus::Data) << "answered an unfinished request";
        if (!served_meanwhile && SteadyClock::now() > started + 500ms) {
            EXPECT_EQ(http_get(port(), "/healthz").status, 200);
            auto other = open_stream("org:1");
            served_meanwhile = true;
        }
    }
    const auto elapsed = SteadyClock::now() - started;
    EXPECT_TRUE(closed) << "slowloris connection still open after 6 s";
    EXPECT_TRUE(served_meanwhile);
    EXPECT_GE(elapsed, 1400ms);
    EXPECT_LT(elapsed, 4s);
    expect_still_serving();
}

}  // namespace
}  // namespace deltacast::testing
