// The refusal table of examples/http_server/README.md, as data: the rows
// between "<!-- refusals:begin -->" and "<!-- refusals:end -->", each with its
// example request (backticked; "\r", "\n", "\0", "\\" and "{N*c}" expanded)
// and the status its answer column starts with. The README is the contract;
// tests walk it so that it cannot drift from the server.
#ifndef ASYNCHAT_TESTS_SUPPORT_HTTP_README_HPP
#define ASYNCHAT_TESTS_SUPPORT_HTTP_README_HPP

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace test {

struct refusal_row {
    std::string what;     // the first column
    std::string request;  // the example, expanded
    int status = 0;
};

inline std::string expand_example(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char c = s[++i];
            out += c == 'r' ? '\r' : c == 'n' ? '\n' : c == '0' ? '\0' : c;
        } else if (s[i] == '{') {
            const auto star = s.find('*', i), close = s.find('}', i);
            if (star == std::string::npos || close == std::string::npos || star > close)
                throw std::runtime_error("README: bad repetition in " + s);
            out.append(std::stoul(s.substr(i + 1, star - i - 1)), s[star + 1]);
            i = close;
        } else {
            out += s[i];
        }
    }
    return out;
}

inline std::vector<refusal_row> readme_refusals(const std::string& readme) {
    std::ifstream in(readme);
    if (!in) throw std::runtime_error("cannot read " + readme);
    std::vector<refusal_row> rows;
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        if (line.find("<!-- refusals:begin -->") != std::string::npos) inside = true;
        else if (line.find("<!-- refusals:end -->") != std::string::npos) inside = false;
        if (!inside || line.rfind("| ", 0) != 0) continue;
        // | what | `example` | status ... |
        const auto tick = line.find(" | `");
        if (tick == std::string::npos) continue;  // the header row
        const auto end = line.find("` | ", tick + 4);
        if (end == std::string::npos) throw std::runtime_error("README: bad refusal row: " + line);
        refusal_row r;
        r.what = line.substr(2, tick - 2);
        r.request = expand_example(line.substr(tick + 4, end - tick - 4));
        r.status = std::stoi(line.substr(end + 4, 3));
        rows.push_back(std::move(r));
    }
    if (rows.empty()) throw std::runtime_error("README: no refusal table in " + readme);
    return rows;
}

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_HTTP_README_HPP
