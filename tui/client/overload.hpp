// std::visit over a variant with one lambda per alternative:
// std::visit(Overload{[](const A&) {...}, [](const B&) {...}}, v).
#pragma once

namespace tacit::client {

template <class... F> struct Overload : F... {
    using F::operator()...;
};
template <class... F> Overload(F...) -> Overload<F...>;

}  // namespace tacit::client
