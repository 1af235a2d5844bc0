//! Drawing the console: the tab bar, the current screen, overlays and the status bar.

mod approval_detail;
mod approvals;
mod digest;
mod form;
mod help;
mod inventory;
mod submit_preview;
mod task_detail;
mod tasks;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{App, Confirm, Overlay, PromptKind, Tab};
use super::forms::Module;
use super::i18n::{Key, state_name, t};
use super::keys;
use super::widgets::line::LineInput;
use crate::model::TaskState;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn render(app: &mut App, f: &mut Frame) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        f.render_widget(
            Paragraph::new(t(app.lang, Key::TooSmall)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    app.mouse.tabs = render_tabs(app, f, top);
    // Rows of a list under the mouse: the first below the border and the header.
    let list = |offset: usize| Some((body.y + 2, body.height.saturating_sub(3), offset));
    app.mouse.rows = None;
    match app.tab {
        Tab::Tasks if app.tasks.detail.is_some() => task_detail::render(app, f, body),
        Tab::Tasks => app.mouse.rows = tasks::render(app, f, body).and_then(list),
        Tab::Approvals if app.approvals.open.is_some() => approval_detail::render(app, f, body),
        Tab::Approvals => app.mouse.rows = approvals::render(app, f, body).and_then(list),
        Tab::Inventory => inventory::render(app, f, body),
        Tab::Module(Module::SqlOptimize) if app.modules.digest.is_some() => {
            digest::render(app, f, body)
        }
        Tab::Module(m) => form::render(app, f, body, m),
    }
    render_status(app, f, bottom);
    match app.overlay.clone() {
        Overlay::None => {}
        Overlay::Help => help::render(app, f, body),
        Overlay::Confirm(c) => render_confirm(app, f, body, &c),
        Overlay::Prompt(kind, input) => render_prompt(app, f, bottom, kind, &input),
        Overlay::Submit(p) => submit_preview::render(app, f, body, &p),
        Overlay::Message(title, lines) => render_message(f, body, &title, &lines),
    }
}

/// Draws the tab bar; returns each tab's cells (for mouse clicks).
fn render_tabs(app: &App, f: &mut Frame, area: Rect) -> Vec<(u16, u16, Tab)> {
    let mut hits = Vec::new();
    let mut x = area.x + 9;
    let mut spans = vec![Span::styled(
        " opsdeck ",
        Style::default().add_modifier(Modifier::BOLD),
    )];
    // Full titles when they fit, then short ones for the module tabs, then only their numbers,
    // then numbers only for every tab but the current one.
    let label = |tab: Tab, tier: u8| {
        let n = tab.number().map(|c| format!("{c} ")).unwrap_or_default();
        let title = match tab {
            _ if tab == app.tab => tab.title(app.lang),
            Tab::Module(m) if tier == 1 => m.short(app.lang),
            Tab::Module(_) if tier >= 2 => "",
            _ if tier >= 3 => "",
            _ => tab.title(app.lang),
        };
        let badge = if tab == Tab::Approvals && app.approval_badge() > 0 {
            format!(" ({})", app.approval_badge())
        } else {
            String::new()
        };
        match (n.is_empty(), title.is_empty()) {
            // A tab without a key, as numbers only, shows as `…`.
            (true, true) => " … ".to_string(),
            _ => format!(
                " {}{title}{badge} ",
                if title.is_empty() {
                    n.trim()
                } else {
                    n.as_str()
                }
            ),
        }
    };
    let who = app
        .me
        .as_ref()
        .map(|me| format!("  {} ({})", me.name, me.role.as_str()))
        .unwrap_or_default();
    let loading = if app.pending > 0 {
        format!("  {}", t(app.lang, Key::Loading))
    } else {
        String::new()
    };
    // The brand, the user and the loading mark count too: nothing is cut from 100 columns up.
    let extra = 9
        + unicode_width::UnicodeWidthStr::width(who.as_str())
        + unicode_width::UnicodeWidthStr::width(loading.as_str());
    let width = |tier: u8| -> usize {
        Tab::ALL
            .iter()
            .map(|t| unicode_width::UnicodeWidthStr::width(label(*t, tier).as_str()))
            .sum::<usize>()
            + extra
    };
    let tier = (0..3)
        .find(|t| width(*t) <= area.width as usize)
        .unwrap_or(3);
    for tab in Tab::ALL {
        let style = if tab == app.tab {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
        };
        let l = label(tab, tier);
        let w = unicode_width::UnicodeWidthStr::width(l.as_str()) as u16;
        hits.push((x, x + w, tab));
        x += w;
        spans.push(Span::styled(l, style));
    }
    spans.push(Span::raw(who));
    spans.push(Span::styled(
        loading,
        Style::default().add_modifier(Modifier::DIM),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
    hits
}

fn render_status(app: &App, f: &mut Frame, area: Rect) {
    let problem = |err: bool| {
        if err && app.color {
            Style::default().fg(Color::Red)
        } else if err {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    };
    // The engine's word comes first: what keeps running after quitting, or that it is gone.
    let engine = app
        .engine
        .as_ref()
        .map(|(note, err)| Span::styled(format!("{note} │ "), problem(*err)));
    if let Some((msg, err)) = &app.status {
        let line = Line::from_iter(
            engine
                .into_iter()
                .chain([Span::styled(msg.as_str(), problem(*err))]),
        );
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    let hints: Vec<String> = keys::for_scope(app.scope())
        .filter(|b| b.hint)
        .map(|b| format!("{} {}", b.keys, t(app.lang, b.action)))
        .collect();
    let hints = Span::styled(
        hints.join("  "),
        Style::default().add_modifier(Modifier::DIM),
    );
    f.render_widget(
        Paragraph::new(Line::from_iter(engine.into_iter().chain([hints]))),
        area,
    );
}

/// Rollback statements shown in the confirmation; the rest are counted.
const ROLLBACK_LINES: usize = 12;

fn render_confirm(app: &App, f: &mut Frame, area: Rect, c: &Confirm) {
    let what = match c {
        Confirm::Approve(ids) => format!("{} {}?", t(app.lang, Key::Approve), ids_text(ids)),
        Confirm::ApproveAt(id, at) => format!(
            "{} #{id} {} {}?",
            t(app.lang, Key::Approve),
            t(app.lang, Key::At),
            crate::model::fmt_local(*at)
        ),
        Confirm::Cancel(id) => format!("{} #{id}?", t(app.lang, Key::Cancel)),
        Confirm::Retry(id) => format!("{} #{id}?", t(app.lang, Key::Retry)),
        Confirm::Release(id) => format!("{} #{id}?", t(app.lang, Key::Release)),
        Confirm::Skip(id, s) => format!(
            "{} #{id} {} {s}?",
            t(app.lang, Key::Skip),
            t(app.lang, Key::Step)
        ),
        Confirm::Rollback {
            of,
            sql,
            notes,
            spec,
        } => {
            let mut s = format!(
                "{} #{of}: {} {}?\n",
                t(app.lang, Key::Rollback),
                t(app.lang, Key::FieldApprovers),
                spec.approvers.join(", ")
            );
            let lines: Vec<&str> = sql.lines().collect();
            for l in lines.iter().take(ROLLBACK_LINES) {
                s.push_str(&format!("\n{l}"));
            }
            if lines.len() > ROLLBACK_LINES {
                s.push_str(&format!(
                    "\n… {} more (opsdeck task rollback {of} --dry-run)",
                    lines.len() - ROLLBACK_LINES
                ));
            }
            for n in notes {
                s.push_str(&format!("\n-- not undone: {n}"));
            }
            s
        }
        Confirm::Quit(ms) => format!(
            "{}: {}",
            t(app.lang, Key::QuitUnsaved),
            ms.iter()
                .map(|m| m.title(app.lang))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let text = format!(
        "{what}\n\ny = {}   n/Esc = {}",
        t(app.lang, Key::Yes),
        t(app.lang, Key::No)
    );
    let r = match c {
        Confirm::Rollback { .. } => {
            let h = (text.lines().count() as u16 + 2).min(area.height.saturating_sub(2));
            centered(area, 90, h.max(6))
        }
        _ => centered(area, 50, 6),
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", t(app.lang, Key::Confirm))),
        ),
        r,
    );
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_prompt(app: &App, f: &mut Frame, area: Rect, kind: PromptKind, input: &LineInput) {
    let label = match kind {
        PromptKind::TaskFilter | PromptKind::ApprovalFilter => {
            format!("{}: ", t(app.lang, Key::Filter))
        }
        PromptKind::LogSearch => "/".to_string(),
        PromptKind::RejectReason(id) => format!(
            "{} #{id} {}: ",
            t(app.lang, Key::Reject),
            t(app.lang, Key::Reason)
        ),
        PromptKind::ApproveTime(id) => format!(
            "{} #{id} — {} (+30m, 2026-12-01 02:00…): ",
            t(app.lang, Key::Approve),
            t(app.lang, Key::NewExecTime)
        ),
        PromptKind::Palette => ":".to_string(),
        PromptKind::ExportPath(id) => format!("#{id} {}: ", t(app.lang, Key::ExportTo)),
        PromptKind::SlowLogPath => format!("{}: ", t(app.lang, Key::SlowLogFile)),
    };
    // The text scrolls so the cursor stays visible; the terminal draws the cursor.
    let label_w = unicode_width::UnicodeWidthStr::width(label.as_str()) as u16;
    let room = area.width.saturating_sub(label_w).max(2);
    let (text, cur) = input.view(room as usize);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(label, Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(text),
        ])),
        area,
    );
    let x = (area.x + label_w + cur as u16).min(area.right().saturating_sub(1));
    f.set_cursor_position((x, area.y));
}

fn render_message(f: &mut Frame, area: Rect, title: &str, lines: &[String]) {
    let w = lines
        .iter()
        .map(|l| unicode_width::UnicodeWidthStr::width(l.as_str()))
        .max()
        .unwrap_or(0)
        .max(unicode_width::UnicodeWidthStr::width(title))
        + 4;
    let r = centered(area, w as u16, lines.len() as u16 + 2);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(
            lines
                .iter()
                .map(|l| Line::from(l.as_str()))
                .collect::<Vec<_>>(),
        )
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {title} ")),
        ),
        r,
    );
}

/// `s` cut or padded to exactly `width` terminal cells (CJK characters count two).
pub fn pad(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str(&" ".repeat(width - used));
    out
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A state's colour (or emphasis when colour is off).
pub fn state_style(app: &App, s: TaskState) -> Style {
    if !app.color {
        return match s {
            TaskState::Failed | TaskState::Interrupted => {
                Style::default().add_modifier(Modifier::BOLD)
            }
            _ => Style::default(),
        };
    }
    let c = match s {
        TaskState::PendingApproval => Color::Yellow,
        TaskState::Scheduled => Color::Blue,
        TaskState::Running => Color::Cyan,
        TaskState::Succeeded => Color::Green,
        TaskState::Failed | TaskState::Interrupted => Color::Red,
        TaskState::Rejected | TaskState::Cancelled | TaskState::Missed => Color::DarkGray,
    };
    Style::default().fg(c)
}

pub fn state_span(app: &App, s: TaskState) -> Span<'static> {
    Span::styled(state_name(app.lang, s), state_style(app, s))
}
