"""The run filter language: a parser to a small AST and a compiler to SQL."""

from shipyard.store.search.parser import (
    Comparison,
    Field,
    Logical,
    Node,
    OrderKey,
    parse_filter,
    parse_order,
)

__all__ = ["Comparison", "Field", "Logical", "Node", "OrderKey", "parse_filter", "parse_order"]
