//! `pipewright logs`: from "the pipeline failed" to the failing line, in one command.
//!
//! Without options: the newest failed execution (else the newest), its failed action, and that
//! action's cause with the build's log lines before the failure. `--all` streams the whole log,
//! `--follow` tails running builds. Lines go to stdout as they are read (nothing is held), one
//! JSON object per event with `--output json`.

use std::cell::RefCell;
use std::io::{BufWriter, Write};

use serde_json::json;

use super::Context;
use super::args::LogsArgs;
use super::picture;
use super::session::{Reading, reading_runtime};
use crate::aws::ErrorKind;
use crate::diagnose::logs::{self, LogLine, ReadError, Reader};
use crate::diagnose::state::{Selector, Status};
use crate::diagnose::tail::{self, Event};
use crate::diagnose::{Diagnosis, Request, diagnose, explain_located, locate, parse_since};
use crate::error::{Error, Result, exit};

pub(crate) fn run(ctx: &Context, args: &LogsArgs) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, picture::now_ms()))
        .transpose()
        .map_err(|message| {
            Error::usage(
                format!("--since: {message}"),
                Some("for example --since 10m or --since 2024-05-01T10:00:00Z".to_owned()),
            )
        })?;
    reading_runtime()?.block_on(async {
        let session = Reading::open(ctx).await?;
        let reader = Reader::new(&session.clients.logs);
        if args.follow {
            let following = follow(ctx, &session, &reader, args, since);
            return tokio::select! {
                result = following => result,
                _ = tokio::signal::ctrl_c() => {
                    eprintln!("\nStopped following.");
                    Err(Error::Interrupted)
                }
            };
        }
        let request = Request {
            selector: args
                .execution
                .clone()
                .map_or(Selector::LatestFailed, Selector::Id),
            stage: args.stage.clone(),
            action: args.action.clone(),
            since,
            lines: (!args.all).then_some(args.lines),
        };
        if args.all {
            return all(ctx, &session, &reader, &request).await;
        }
        let diagnosis = diagnose(&session.clients, &reader, &session.pipeline(), &request)
            .await
            .map_err(|e| session.error(&e))?;
        print_diagnosis(ctx, &diagnosis);
        Ok(())
    })
}

/// `--all`: the diagnosis's head (which execution, which action, its cause), every line of the
/// build's log, then the explanation: the order `--lines N` prints, so `logs --all | head` says
/// which execution it is. The stream is read while the build is being looked up, from where
/// pipewright's projects log (`Located::stream_guess`), and the lines read before the head is
/// known wait for it (a page at most); if the stream is not there, it is read from where
/// BatchGetBuilds says. A reader that goes away (`logs --all | head`) ends it quietly.
async fn all(ctx: &Context, session: &Reading, reader: &Reader, request: &Request) -> Result<()> {
    let pipeline = session.pipeline();
    let located = locate(&session.clients, &pipeline, request)
        .await
        .map_err(|e| session.error(&e))?;
    let guess = located.stream_guess(&session.loaded.spec.names().log_group());
    let label = located
        .action
        .as_ref()
        .map(|a| format!("{}/{}", a.stage, a.name));
    let stdout = std::io::stdout();
    let sink = RefCell::new(Sink {
        writer: BufWriter::with_capacity(1 << 16, stdout.lock()),
        ctx,
        action: label,
        waiting: Some(Vec::new()),
        printed: 0,
    });
    let explaining = async {
        let diagnosis = explain_located(&session.clients, reader, located, request).await;
        if let Ok(diagnosis) = &diagnosis {
            sink.borrow_mut().head(diagnosis);
        }
        diagnosis
    };
    let (diagnosis, guessed) = match &guess {
        Some((group, stream)) => {
            let reading = logs::read_all(reader, group, stream, request.since, |line| {
                sink.borrow_mut().line(line)
            });
            let (diagnosis, read) = tokio::join!(explaining, reading);
            (diagnosis, Some(read))
        }
        None => (explaining.await, None),
    };
    let diagnosis = diagnosis.map_err(|e| session.error(&e))?;
    let printed = sink.borrow().printed;
    let read = match guessed {
        // The guess was right (or failed after printing: that error stands).
        Some(read) if !matches!(&read, Err(ReadError::Aws(e)) if printed == 0 && e.is(ErrorKind::NotFound)) => {
            Some(read)
        }
        _ => match diagnosis.build().and_then(|b| b.logs.as_ref()) {
            Some(stream) => Some(
                logs::read_all(
                    reader,
                    &stream.group,
                    &stream.stream,
                    request.since,
                    |line| sink.borrow_mut().line(line),
                )
                .await,
            ),
            None => None,
        },
    };
    let mut sink = sink.into_inner();
    match read {
        None | Some(Ok(_)) => {}
        Some(Err(ReadError::Stopped(err))) if err.kind() == std::io::ErrorKind::BrokenPipe => {
            return Ok(());
        }
        Some(Err(ReadError::Stopped(err))) => {
            return Err(Error::Io {
                context: "write the log".to_owned(),
                source: err,
            });
        }
        Some(Err(ReadError::Aws(err))) => return Err(session.error(&err)),
    }
    // An error here is the reader gone away: nothing more to say to it.
    let _ = sink.tail(&diagnosis);
    Ok(())
}

/// Where `--all` writes: the head first, then each line (those read before the head is known
/// wait for it), then the explanation.
struct Sink<'a, W: Write> {
    writer: W,
    ctx: &'a Context,
    /// `Stage/Action` of the lines, for JSON.
    action: Option<String>,
    /// Lines read before the head was printed; `None` once it is.
    waiting: Option<Vec<LogLine>>,
    printed: u64,
}

impl<W: Write> Sink<'_, W> {
    fn json(&self) -> bool {
        self.ctx.out.is_json()
    }

    /// Print the diagnosis's head (the whole diagnosis object for JSON), then what waited.
    fn head(&mut self, diagnosis: &Diagnosis) {
        let head = if self.json() {
            let mut value = serde_json::to_value(diagnosis).unwrap_or_default();
            value["type"] = json!("diagnosis");
            format!("{value}\n")
        } else {
            format!(
                "{}\n",
                picture::coloured(&diagnosis.head_text(), self.ctx.out)
            )
        };
        let _ = self.writer.write_all(head.as_bytes());
        let json = self.json();
        for line in self.waiting.take().unwrap_or_default() {
            let _ = write_line(&mut self.writer, json, self.action.as_deref(), &line);
        }
    }

    fn line(&mut self, line: &LogLine) -> std::io::Result<()> {
        self.printed += 1;
        let json = self.json();
        match &mut self.waiting {
            Some(waiting) => {
                waiting.push(line.clone());
                Ok(())
            }
            None => write_line(&mut self.writer, json, self.action.as_deref(), line),
        }
    }

    /// The explanation, after the lines.
    fn tail(&mut self, diagnosis: &Diagnosis) -> std::io::Result<()> {
        if !self.json() {
            let tail = picture::coloured(&diagnosis.explanation_text(), self.ctx.out);
            self.writer.write_all(tail.as_bytes())?;
        }
        self.writer.flush()
    }
}

/// One log line: the message for people, an object for JSON.
fn write_line(
    out: &mut impl Write,
    json: bool,
    action: Option<&str>,
    line: &LogLine,
) -> std::io::Result<()> {
    if json {
        let value = json!({
            "type": "log",
            "action": action,
            "timestamp": line.timestamp,
            "message": line.message,
        });
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{}", line.message)
    }
}

/// The diagnosis, as `logs` and `run` print it.
pub(crate) fn print_diagnosis(ctx: &Context, diagnosis: &Diagnosis) {
    if ctx.out.is_json() {
        let mut value = serde_json::to_value(diagnosis).unwrap_or_default();
        value["type"] = json!("diagnosis");
        println!("{value}");
    } else {
        print!("{}", picture::diagnosis(diagnosis, ctx.out));
    }
}

async fn follow(
    ctx: &Context,
    session: &Reading,
    reader: &Reader,
    args: &LogsArgs,
    since: Option<i64>,
) -> Result<()> {
    let options = tail::Options {
        pipeline: session.pipeline(),
        execution: args.execution.clone(),
        stage: args.stage.clone(),
        action: args.action.clone(),
        since,
        until_done: args.until_done,
    };
    let json = ctx.out.is_json();
    let out = ctx.out;
    let stdout = std::io::stdout();
    let result = tail::follow(&session.clients, reader, &options, |event| {
        // stdout is line-buffered: every line leaves as soon as it is read.
        let mut lock = stdout.lock();
        match event {
            Event::Line { action, line } => write_line(&mut lock, json, Some(action), line),
            Event::Execution { id, status } => {
                if json {
                    writeln!(lock, "{}", json!({"type": "execution", "execution_id": id, "status": status}))
                } else {
                    eprintln!("── execution {id} ({})", status.as_str());
                    Ok(())
                }
            }
            Event::Action(action) => {
                if json {
                    writeln!(
                        lock,
                        "{}",
                        json!({"type": "action", "stage": action.stage, "action": action.name, "status": action.status})
                    )
                } else {
                    let text = format!(
                        "── {}/{} {}",
                        action.stage,
                        action.name,
                        action.status.as_str()
                    );
                    eprintln!("{}", out.style_err(picture::raw_style(action.status)).apply_to(text));
                    Ok(())
                }
            }
        }
    })
    .await;
    let status = match result {
        Ok(status) => status,
        Err(ReadError::Stopped(_)) => return Ok(()),
        Err(ReadError::Aws(err)) => return Err(session.error(&err)),
    };
    if status == Status::Succeeded || status == Status::NotRun {
        return Ok(());
    }
    // The lines were shown as they came; add the cause.
    let request = Request {
        selector: args
            .execution
            .clone()
            .map_or(Selector::Latest, Selector::Id),
        stage: args.stage.clone(),
        action: args.action.clone(),
        since,
        lines: None,
    };
    let diagnosis = diagnose(&session.clients, reader, &options.pipeline, &request)
        .await
        .map_err(|e| session.error(&e))?;
    print_diagnosis(ctx, &diagnosis);
    Err(Error::Exit(exit::FAILURE))
}
