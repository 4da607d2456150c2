// The table the durability and abuse tests print: one row per attack or
// fault, "what was tried | expected | observed | lost anything?". Printed to
// stdout when the test case ends, also when it fails part way, so a failing
// run still shows what happened up to that point.
#pragma once
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace tacit::test {

class Report {
public:
    explicit Report(std::string title, std::string last_column = "lost anything?")
        : title_(std::move(title)), last_(std::move(last_column)) {}
    Report(const Report&) = delete;
    Report& operator=(const Report&) = delete;
    ~Report() { print(); }

    void add(std::string tried, std::string expected, std::string observed, std::string lost = "no") {
        rows_.push_back({std::move(tried), std::move(expected), std::move(observed), std::move(lost)});
    }
    // For rows whose verdict is known only at the end.
    size_t size() const { return rows_.size(); }
    void set_lost(size_t row, std::string lost) { rows_.at(row)[3] = std::move(lost); }
    void set_observed(size_t row, std::string obs) { rows_.at(row)[2] = std::move(obs); }

    void print() {
        if (printed_) return;
        printed_ = true;
        std::vector<std::string> head = {"what was tried", "expected", "observed", last_};
        std::vector<size_t> w(4);
        for (size_t i = 0; i < 4; ++i) w[i] = head[i].size();
        for (auto& r : rows_)
            for (size_t i = 0; i < 4; ++i) w[i] = std::max(w[i], r[i].size());
        auto line = [&](const std::vector<std::string>& r) {
            std::string s = "|";
            for (size_t i = 0; i < 4; ++i) s += " " + r[i] + std::string(w[i] - r[i].size(), ' ') + " |";
            return s;
        };
        std::string out = "\n== " + title_ + "\n" + line(head) + "\n|";
        for (size_t i = 0; i < 4; ++i) out += std::string(w[i] + 2, '-') + "|";
        out += "\n";
        for (auto& r : rows_) out += line({r[0], r[1], r[2], r[3]}) + "\n";
        std::cout << out << std::flush;
    }

private:
    std::string title_, last_;
    std::vector<std::vector<std::string>> rows_;
    bool printed_ = false;
};

}  // namespace tacit::test
