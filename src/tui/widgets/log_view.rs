//! The live log pane: a bounded window of a task's lines, follow mode, wrap, host filter and search.

use std::collections::VecDeque;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::model::{LogLine, Stream};
use crate::tui::i18n::{Key, Lang, t};

/// Lines kept in memory; older ones are paged back in from the store when scrolled to.
pub const WINDOW: usize = 20_000;
/// Lines fetched per page.
pub const PAGE: usize = 2_000;

#[derive(Debug, Default)]
pub struct LogView {
    pub lines: VecDeque<LogLine>,
    /// Highest sequence number known to exist.
    pub last_seq: u64,
    /// How many (filtered) lines the view is scrolled up from the bottom.
    pub scroll: usize,
    pub follow: bool,
    pub wrap: bool,
    pub host_filter: Option<String>,
    pub search: Option<String>,
    /// Index into the filtered lines of the current search hit.
    pub hit: Option<usize>,
    /// Rows the pane showed last frame: while the lines fit, new ones show even with follow off.
    pub rows: usize,
}

impl LogView {
    pub fn new() -> LogView {
        LogView {
            follow: true,
            ..Default::default()
        }
    }

    pub fn first_seq(&self) -> Option<u64> {
        self.lines.front().map(|l| l.seq)
    }

    /// Adds lines from a page or the live stream, keeping them in order and the window bounded.
    pub fn add(&mut self, mut incoming: Vec<LogLine>) {
        incoming.sort_by_key(|l| l.seq);
        for l in incoming {
            self.last_seq = self.last_seq.max(l.seq);
            match (
                self.lines.front().map(|f| f.seq),
                self.lines.back().map(|b| b.seq),
            ) {
                (None, _) => self.lines.push_back(l),
                (_, Some(b)) if l.seq > b => {
                    self.lines.push_back(l);
                    if !self.follow
                        && self.matches(self.lines.back())
                        && self.filtered_len() > self.rows
                    {
                        // Keep the viewport still while new lines arrive below it.
                        self.scroll += 1;
                    }
                }
                (Some(f), _) if l.seq < f => self.lines.push_front(l),
                _ => {}
            }
        }
        while self.lines.len() > WINDOW {
            if self.follow || self.scroll < WINDOW / 2 {
                self.lines.pop_front();
            } else {
                self.lines.pop_back();
            }
        }
    }

    fn matches(&self, l: Option<&LogLine>) -> bool {
        match (l, &self.host_filter) {
            (Some(l), Some(h)) => l.host.as_deref() == Some(h.as_str()),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    fn filtered_len(&self) -> usize {
        match &self.host_filter {
            None => self.lines.len(),
            Some(_) => self.lines.iter().filter(|l| self.matches(Some(l))).count(),
        }
    }

    pub fn filtered(&self) -> Vec<&LogLine> {
        self.lines
            .iter()
            .filter(|l| self.matches(Some(l)))
            .collect()
    }

    pub fn scroll_up(&mut self, n: usize) {
        self.follow = false;
        let max = self.filtered().len().saturating_sub(1);
        self.scroll = (self.scroll + n).min(max);
    }

    pub fn scroll_down(&mut self, n: usize) {
        self.scroll = self.scroll.saturating_sub(n);
        if self.scroll == 0 {
            self.follow = true;
        }
    }

    pub fn toggle_follow(&mut self) {
        self.follow = !self.follow;
        if self.follow {
            self.scroll = 0;
        }
    }

    /// True when the view shows the oldest loaded line and older ones exist in the store.
    pub fn wants_older(&self, height: usize) -> bool {
        let total = self.filtered().len();
        self.first_seq().is_some_and(|f| f > 1) && self.scroll + height >= total
    }

    /// Cycles the host filter through `hosts` and back to all hosts.
    pub fn cycle_host(&mut self, hosts: &[String]) {
        self.host_filter = match &self.host_filter {
            None => hosts.first().cloned(),
            Some(h) => {
                let i = hosts.iter().position(|x| x == h);
                i.and_then(|i| hosts.get(i + 1)).cloned()
            }
        };
        self.scroll = 0;
        self.hit = None;
    }

    /// Moves to the next (or previous) line containing the search text, counting from the bottom,
    /// and puts it mid-pane (`height` rows) so the lines after it stay in view.
    pub fn jump(&mut self, forward: bool, height: usize) {
        let Some(q) = self.search.clone().filter(|q| !q.is_empty()) else {
            return;
        };
        let lines = self.filtered();
        let n = lines.len();
        if n == 0 {
            return;
        }
        let current = self.hit.unwrap_or(n.saturating_sub(1 + self.scroll));
        let order: Vec<usize> = if forward {
            (current + 1..n).chain(0..=current.min(n - 1)).collect()
        } else {
            (0..current).rev().chain((current..n).rev()).collect()
        };
        if let Some(i) = order.into_iter().find(|i| lines[*i].text.contains(&q)) {
            self.hit = Some(i);
            self.follow = false;
            let below = n - 1 - i;
            // As many lines below the hit as there is room for, up to half the pane.
            self.scroll = below.saturating_sub(height / 2);
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, lang: Lang, title: &str, color: bool) {
        let mut flags = Vec::new();
        if self.follow {
            flags.push(format!("[{}]", t(lang, Key::Follow)));
        }
        if self.wrap {
            flags.push(format!("[{}]", t(lang, Key::Wrap)));
        }
        if let Some(h) = &self.host_filter {
            flags.push(format!("[{}: {h}]", t(lang, Key::HostFilter)));
        }
        if let Some(q) = &self.search {
            flags.push(format!("[/{q}]"));
        }
        let header = format!(
            " {title} · {} {} {} ",
            self.last_seq,
            t(lang, Key::Lines),
            flags.join(" ")
        );
        let block = Block::default().borders(Borders::ALL).title(header);
        let inner = block.inner(area);
        block.render(area, buf);
        let height = inner.height as usize;
        let lines = self.filtered();
        let end = lines.len().saturating_sub(self.scroll);
        // From the bottom up until the pane is full: a multi-line text takes several rows.
        let mut visible: Vec<Line> = Vec::new();
        for i in (0..end).rev() {
            if visible.len() >= height {
                break;
            }
            let mut rows = self.line(lines[i], i, color);
            rows.reverse();
            visible.extend(rows);
        }
        visible.reverse();
        if visible.len() > height {
            visible.drain(..visible.len() - height);
        }
        let mut p = Paragraph::new(visible);
        if self.wrap {
            p = p.wrap(Wrap { trim: false });
        }
        p.render(inner, buf);
    }

    /// One log line as rows: one per line of its text (the first with seq and host), control
    /// characters shown escaped, search hits highlighted.
    fn line(&self, l: &LogLine, index: usize, color: bool) -> Vec<Line<'static>> {
        let host = l.host.as_deref().unwrap_or("-");
        let style = match (l.stream, color) {
            (Stream::Stderr, true) => Style::default().fg(Color::Red),
            (Stream::System, true) => Style::default().fg(Color::Cyan),
            (Stream::System, false) => Style::default().add_modifier(Modifier::DIM),
            _ => Style::default(),
        };
        let hl = Style::default().add_modifier(Modifier::REVERSED);
        let hit = if self.hit == Some(index) {
            hl.add_modifier(Modifier::BOLD)
        } else {
            hl
        };
        let q = self.search.as_deref().filter(|q| !q.is_empty());
        let text = l.text.trim_end_matches(['\n', '\r']);
        let mut out = Vec::new();
        for (n, part) in text.split('\n').enumerate() {
            let part = crate::text::display_line(part.trim_end_matches('\r')).into_owned();
            let gutter = if n == 0 {
                vec![
                    Span::styled(
                        format!("{:>7} ", l.seq),
                        Style::default().add_modifier(Modifier::DIM),
                    ),
                    Span::styled(
                        format!("{} ", crate::tui::view::pad(host, 12)),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                ]
            } else {
                vec![Span::raw(" ".repeat(21))]
            };
            let mut spans = gutter;
            match q {
                Some(q) if part.contains(q) => {
                    let mut rest = part.as_str();
                    while let Some(i) = rest.find(q) {
                        spans.push(Span::styled(rest[..i].to_string(), style));
                        spans.push(Span::styled(rest[i..i + q.len()].to_string(), hit));
                        rest = &rest[i + q.len()..];
                    }
                    spans.push(Span::styled(rest.to_string(), style));
                }
                _ => spans.push(Span::styled(part, style)),
            }
            out.push(Line::from(spans));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn line(seq: u64, host: &str, text: &str) -> LogLine {
        LogLine {
            task_id: 1,
            seq,
            step_run_id: None,
            host: Some(host.into()),
            ts: Utc::now(),
            stream: Stream::Stdout,
            text: text.into(),
        }
    }

    #[test]
    fn lines_stay_ordered_and_bounded() {
        let mut v = LogView::new();
        v.add(
            (WINDOW as u64 / 2..=WINDOW as u64 + 10)
                .map(|s| line(s, "a", "x"))
                .collect(),
        );
        v.add((1..WINDOW as u64 / 2).map(|s| line(s, "a", "x")).collect());
        assert!(v.lines.len() <= WINDOW);
        let seqs: Vec<u64> = v.lines.iter().map(|l| l.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(v.last_seq, WINDOW as u64 + 10);
    }

    #[test]
    fn host_filter_search_and_follow() {
        let mut v = LogView::new();
        v.add(vec![
            line(1, "a", "alpha"),
            line(2, "b", "beta"),
            line(3, "a", "gamma alpha"),
        ]);
        v.cycle_host(&["a".into(), "b".into()]);
        assert_eq!(v.filtered().len(), 2);
        v.cycle_host(&["a".into(), "b".into()]);
        assert_eq!(v.host_filter.as_deref(), Some("b"));
        v.cycle_host(&["a".into(), "b".into()]);
        assert!(v.host_filter.is_none());
        v.search = Some("alpha".into());
        v.jump(false, 10);
        assert!(!v.follow);
        let first = v.hit.unwrap();
        v.jump(false, 10);
        assert_ne!(v.hit.unwrap(), first);
        v.scroll_down(100);
        assert!(v.follow);
    }

    fn rows(v: &LogView, w: u16, h: u16) -> Vec<String> {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        v.render(area, &mut buf, Lang::En, "Log", false);
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    }

    #[test]
    fn a_search_hit_shows_mid_pane_with_the_lines_after_it() {
        let mut v = LogView::new();
        v.add(
            (1..=100)
                .map(|s| line(s, "a", &format!("line {s}")))
                .collect(),
        );
        v.search = Some("line 40".into());
        v.jump(false, 10);
        let screen = rows(&v, 60, 12).join("\n");
        assert!(screen.contains("line 40"), "{screen}");
        assert!(
            screen.contains("line 44"),
            "lines after the hit stay: {screen}"
        );
    }

    #[test]
    fn multi_line_texts_take_rows_and_escapes_are_shown() {
        let mut v = LogView::new();
        v.add(vec![
            line(1, "a", "exit 2\nexport MYSQL_PWD=x"),
            line(2, "a", "\x1b[2Jcleared?"),
        ]);
        let r = rows(&v, 60, 6);
        assert!(r[1].contains("exit 2") && !r[1].contains("export"), "{r:?}");
        assert!(r[2].contains("export MYSQL_PWD"), "{r:?}");
        assert!(r[3].contains("\\x1b[2Jcleared?"), "{r:?}");
    }

    #[test]
    fn with_follow_off_new_lines_show_while_there_is_room() {
        let mut v = LogView::new();
        v.rows = 10;
        v.add(vec![line(1, "a", "one")]);
        v.toggle_follow();
        v.add(vec![line(2, "a", "two")]);
        assert_eq!(v.scroll, 0);
        assert!(rows(&v, 40, 12).join("").contains("two"));
    }
}
