// The conversation view: one ncurses window per pane (in panels), drawn
// from the Model. Only the panes marked dirty are redrawn, and the screen
// is updated once per render() call, so there is no full-screen flicker.
#pragma once
#include <memory>

#include "tui/ui/layout.hpp"
#include "tui/ui/model.hpp"
#include "tui/ui/panes.hpp"
#include "tui/ui/terminal.hpp"

namespace tacit::ui {

class View {
public:
    explicit View(Terminal& t);
    ~View();
    View(const View&) = delete;
    View& operator=(const View&) = delete;

    // (Re)creates the windows for the terminal's current size.
    void relayout();
    const Layout& layout() const;
    // Draws the panes in dirty (kPane* bits), then one doupdate().
    void render(Model& m, const Extras& x, unsigned dirty);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tacit::ui
