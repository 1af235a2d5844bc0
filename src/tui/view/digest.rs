//! The SQL optimize tab's slow log browser: the query classes of a slow log (most total query time
//! first), and one class in detail — fingerprint, slowest example, times, rows, score and index advice.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::sql::digest::{ClassReport, DigestReport};
use crate::text::display_line;
use crate::tui::app::{App, DigestView};
use crate::tui::i18n::{Key, Lang, t};

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let Some(d) = app.modules.digest.as_ref() else {
        return;
    };
    match d.report.classes.get(d.sel) {
        Some(c) if d.open => class(app.lang, d, c, f, area),
        _ => list(app.lang, d, f, area),
    }
}

fn title(lang: Lang, path: &str, r: &DigestReport) -> String {
    let mut s = format!(
        " {} · {} {} · {} {} · {:.1}s",
        display_line(path),
        r.events,
        t(lang, Key::Entries),
        r.classes_total,
        t(lang, Key::SlowLogClasses),
        r.total_query_time
    );
    if r.skipped > 0 {
        s.push_str(&format!(
            " · {} {}",
            t(lang, Key::SkippedEntries),
            r.skipped
        ));
    }
    s.push(' ');
    s
}

fn list(lang: Lang, d: &DigestView, f: &mut Frame, area: Rect) {
    let r = &d.report;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title(lang, &d.path, r));
    if r.classes.is_empty() {
        let mut lines = vec![Line::from(t(lang, Key::NoClasses))];
        for (why, n) in &r.skipped_by_reason {
            lines.push(Line::from(format!(
                "{} {n}: {}",
                t(lang, Key::SkippedEntries),
                display_line(why)
            )));
        }
        f.render_widget(Paragraph::new(lines).block(block), area);
        return;
    }
    let header = Row::new(
        [
            "#",
            t(lang, Key::Count),
            t(lang, Key::TotalTime),
            t(lang, Key::AvgTime),
            t(lang, Key::P95),
            t(lang, Key::Share),
            t(lang, Key::ScoreLabel),
            t(lang, Key::Fingerprint),
        ]
        .map(Cell::from),
    )
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = r
        .classes
        .iter()
        .map(|c| {
            Row::new(vec![
                Cell::from(c.rank.to_string()),
                Cell::from(c.count.to_string()),
                Cell::from(format!("{:.2}s", c.query_time.total)),
                Cell::from(format!("{:.3}s", c.query_time.avg)),
                Cell::from(format!("{:.3}s", c.query_time.p95)),
                Cell::from(format!("{:.1}%", c.share * 100.0)),
                Cell::from(
                    c.review
                        .as_ref()
                        .map_or("-".into(), |v| v.score.to_string()),
                ),
                Cell::from(display_line(&c.fingerprint).into_owned()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(4),
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(5),
            Constraint::Min(20),
        ],
    )
    .header(header)
    .block(block)
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(d.sel));
    f.render_stateful_widget(table, area, &mut state);
}

fn class(lang: Lang, d: &DigestView, c: &ClassReport, f: &mut Frame, area: Rect) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let head = |k: Key| Line::styled(t(lang, k).to_string(), bold);
    let mut lines = vec![
        Line::from(format!(
            "#{} 0x{} · {} {} · {} {:.1}%",
            c.rank,
            c.query_id,
            t(lang, Key::Count),
            c.count,
            t(lang, Key::Share),
            c.share * 100.0
        )),
        Line::from(format!(
            "{} {:.3}s  {} {:.3}s  {} {:.3}s  {} {:.3}s",
            t(lang, Key::TotalTime),
            c.query_time.total,
            t(lang, Key::AvgTime),
            c.query_time.avg,
            t(lang, Key::P95),
            c.query_time.p95,
            t(lang, Key::MaxTime),
            c.query_time.max
        )),
        Line::from(format!(
            "{} {} ({} {:.0})  {} {} ({} {:.0})",
            t(lang, Key::RowsExamined),
            c.rows_examined.total,
            t(lang, Key::AvgTime),
            c.rows_examined.avg,
            t(lang, Key::RowsSent),
            c.rows_sent.total,
            t(lang, Key::AvgTime),
            c.rows_sent.avg
        )),
        Line::from(format!(
            "{} {} … {}{}",
            t(lang, Key::Seen),
            c.first_seen.as_deref().unwrap_or("-"),
            c.last_seen.as_deref().unwrap_or("-"),
            c.db.as_deref()
                .map(|db| format!("  {} {}", t(lang, Key::Database), display_line(db)))
                .unwrap_or_default()
        )),
        Line::from(""),
        head(Key::Fingerprint),
    ];
    lines.extend(
        c.fingerprint
            .lines()
            .map(|l| Line::from(display_line(l).into_owned())),
    );
    lines.push(Line::from(""));
    lines.push(head(Key::Example));
    lines.extend(
        c.example
            .lines()
            .map(|l| Line::from(display_line(l).into_owned())),
    );
    if let Some(v) = &c.review {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("{} {} ({:.1}★)", t(lang, Key::ScoreLabel), v.score, v.stars),
            bold,
        ));
        lines.extend(
            v.findings
                .iter()
                .map(|x| Line::from(format!("  {}", display_line(x)))),
        );
        lines.push(Line::from(""));
        lines.push(head(Key::IndexAdvice));
        if v.indexes.is_empty() {
            lines.push(Line::from(format!("  {}", t(lang, Key::NoIndexAdvice))));
        }
        lines.extend(
            v.indexes
                .iter()
                .map(|x| Line::from(format!("  {}", display_line(x)))),
        );
        lines.extend(
            v.notes
                .iter()
                .map(|x| Line::from(format!("  {}", display_line(x)))),
        );
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title(lang, &d.path, &d.report));
    let scroll = u16::try_from(d.scroll).unwrap_or(u16::MAX);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
