//! The I/O layer below the public types: syscall wrappers (`sys`), the
//! buffer-owning ops (`buf_ops`, `vec_ops`, `sock_ops`, `fs_ops`, `proc_ops`) and the fd engine
//! (`fd`) that TCP, Unix, pipes, stdio and files share.

pub(crate) mod buf_ops;
pub(crate) mod fd;
pub(crate) mod fs_ops;
pub(crate) mod proc_ops;
pub(crate) mod sock_ops;
pub(crate) mod sys;
pub(crate) mod vec_ops;
