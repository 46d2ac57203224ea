// SPDX-License-Identifier: MIT
// examples/echo-server.c written with tokio, for the line counts of
// docs/ergonomics.md: the same options, output and behaviour. Not built
// by the project (it needs cargo, tokio 1.x with "full" features, and
// libc for the descriptor limit).
use std::cell::RefCell;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BUF: usize = 16384;

thread_local! {
    static LEAN_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; BUF]);
}

async fn echo(mut s: TcpStream) {
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if s.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn lean(s: TcpStream) {
    loop {
        if s.readable().await.is_err() {
            return;
        }
        let mut unsent = match LEAN_BUF.with(|b| {
            let mut b = b.borrow_mut();
            let n = match s.try_read(&mut b) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Some(Vec::new()),
                Err(_) => return None,
            };
            let w = match s.try_write(&b[..n]) {
                Ok(w) => w,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
                Err(_) => return None,
            };
            Some(b[w..n].to_vec())
        }) {
            Some(u) => u,
            None => return,
        };
        while !unsent.is_empty() {
            if s.writable().await.is_err() {
                return;
            }
            match s.try_write(&unsent) {
                Ok(w) => drop(unsent.drain(..w)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lean_mode = args.iter().skip(1).any(|a| a == "--lean");
    let ports: Vec<&String> = args.iter().skip(1).filter(|a| !a.starts_with('-')).collect();
    if ports.len() != 1 || args.len() - 1 != ports.len() + lean_mode as usize {
        eprintln!("usage: {} PORT [--lean]", args[0]);
        std::process::exit(2);
    }
    let port: u16 = match ports[0].parse() {
        Ok(p) => p,
        Err(_) => {
            eprintln!("echo-server: bad port '{}'", ports[0]);
            std::process::exit(2);
        }
    };
    // One descriptor per connection: take what the hard limit allows.
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } == 0 && rl.rlim_cur < rl.rlim_max {
        rl.rlim_cur = rl.rlim_max;
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) };
    }
    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("echo-server: bind 127.0.0.1:{}: {}", port, e);
            std::process::exit(1);
        }
    };
    println!("listening on {}", listener.local_addr().unwrap());
    loop {
        match listener.accept().await {
            Ok((s, _)) => {
                let _ = s.set_nodelay(true);
                if lean_mode {
                    tokio::spawn(lean(s));
                } else {
                    tokio::spawn(echo(s));
                }
            }
            Err(e) => {
                eprintln!("echo-server: accept: {}", e);
                std::process::exit(1);
            }
        }
    }
}
