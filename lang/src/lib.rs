//! spindle-lang: the Janet-dialect language.
