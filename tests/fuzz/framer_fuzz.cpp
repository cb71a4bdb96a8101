// Fuzz target for the framing core (libFuzzer's entry point).
//
// The input chooses a terminator schedule (switched inside found_terminator),
// a record limit, a way of cutting the stream into reads, and the stream. The
// framer must give the same records and the same overflows whether the
// stream arrives whole, one byte at a time or cut as the input says; those
// must equal an independent reference model; no collect is empty; and the
// framer never holds more than a partial terminator between reads.
#include "../support/framing.hpp"

#include <asynchat/framer.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

class reader {
public:
    reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint8_t byte() {
        if (size_ == 0) return 0;
        --size_;
        return *data_++;
    }
    std::string_view rest() const { return {reinterpret_cast<const char*>(data_), size_}; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
};

struct sink {
    asynchat::framer& f;
    const test::schedule& terminators;
    std::size_t found = 0;
    std::vector<std::string> records;
    std::string current;
    std::size_t overflows = 0;
    bool stopped = false;

    void collect_incoming_data(std::string_view d) {
        if (d.empty()) std::abort();  // CPython never passes an empty piece
        current.append(d);
    }
    void found_terminator() {
        records.push_back(std::move(current));
        current.clear();
        ++found;
        f.set_terminator(terminators[found % terminators.size()]);
    }
    asynchat::overflow record_too_long(std::size_t) {
        ++overflows;
        current.clear();
        if (!f.can_skip()) stopped = true;  // a channel would close here
        return asynchat::overflow::skip;
    }
};

struct outcome {
    std::vector<std::string> records;
    std::size_t overflows = 0;
    std::string tail;
    bool stopped = false;
};

outcome run(std::string_view stream, const test::schedule& terminators, std::size_t limit,
            const std::vector<std::size_t>& cuts, std::size_t longest_terminator) {
    asynchat::framer f(terminators[0]);
    f.set_record_limit(limit);
    sink s{f, terminators, 0, {}, {}, 0, false};
    std::size_t at = 0;
    for (std::size_t k = 0; at < stream.size() && !s.stopped; ++k) {
        const std::size_t n = cuts.empty() ? stream.size() : cuts[k % cuts.size()];
        f.feed(stream.substr(at, n), s);
        at += n;
        // Between reads the framer holds at most a partial terminator.
        if (f.buffered().size() >= longest_terminator) std::abort();
    }
    return {s.records, s.overflows, s.current + std::string(f.buffered()), s.stopped};
}

asynchat::terminator read_terminator(reader& in, std::size_t& longest) {
    const std::uint8_t kind = in.byte();
    switch (kind % 8) {
    case 0: case 1: case 2: case 3: {  // a string of 1 to 8 bytes from a small alphabet
        static constexpr char alphabet[] = {'a', 'b', '\r', '\n', '.', '\0'};
        std::string s;
        for (int n = 1 + in.byte() % 8; n > 0; --n) s += alphabet[in.byte() % sizeof alphabet];
        if (s.size() > longest) longest = s.size();
        return s;
    }
    case 4: case 5: return static_cast<std::size_t>(in.byte() % 48);
    case 6: return asynchat::none;
    default: return "";
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    reader in(data, size);
    std::size_t longest = 1;
    test::schedule terminators;
    for (int n = 1 + in.byte() % 4; n > 0; --n) terminators.push_back(read_terminator(in, longest));
    const std::uint8_t limit_byte = in.byte();
    const std::size_t limit = limit_byte < 128 ? asynchat::no_limit : limit_byte - 127;
    std::vector<std::size_t> cuts;
    for (int n = in.byte() % 8; n > 0; --n) cuts.push_back(1 + in.byte() % 32);
    const std::string_view stream = in.rest();

    const outcome whole = run(stream, terminators, limit, {}, longest);
    const outcome bytes = run(stream, terminators, limit, {1}, longest);
    const outcome cut = run(stream, terminators, limit, cuts, longest);
    for (const outcome* o : {&bytes, &cut}) {
        if (o->records != whole.records || o->overflows != whole.overflows) std::abort();
        if (!whole.stopped && o->tail != whole.tail) std::abort();
    }
    const test::reference_result ref = test::reference_frame(stream, terminators, limit);
    if (ref.records != whole.records || ref.overflows != whole.overflows) std::abort();
    if (!ref.stopped && !whole.stopped && ref.tail != whole.tail) std::abort();
    return 0;
}
