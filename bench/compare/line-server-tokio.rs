// SPDX-License-Identifier: MIT
// examples/line-server.c written with tokio, for the line counts of
// docs/ergonomics.md. Not built by the project (cargo, tokio 1.x "full").
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::timeout;

const LINE_MAX: u64 = 1024;
const IDLE: Duration = Duration::from_secs(2);

async fn conn(s: TcpStream) -> std::io::Result<()> {
    let (r, mut w) = s.into_split();
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = match timeout(IDLE, (&mut r).take(LINE_MAX).read_until(b'\n', &mut line)).await {
            Err(_) => return Ok(()), // idle
            Ok(res) => res?,
        };
        if n == 0 {
            return Ok(());
        }
        if line.last() != Some(&b'\n') && n as u64 == LINE_MAX {
            return w.write_all(b"ERR line too long\n").await;
        }
        line.make_ascii_uppercase();
        w.write_all(&line).await?;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: {} PORT", args[0]);
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().unwrap_or(0);
    let listener = match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("line-server: bind: {}", e);
            std::process::exit(1);
        }
    };
    println!("listening on {}", listener.local_addr().unwrap());
    let mut tasks = JoinSet::new(); // dropped with main: cancels them all
    loop {
        match listener.accept().await {
            Ok((s, _)) => {
                while tasks.try_join_next().is_some() {} // reap finished ones
                tasks.spawn(conn(s));
            }
            Err(e) => {
                eprintln!("line-server: {}", e);
                std::process::exit(1);
            }
        }
    }
}
