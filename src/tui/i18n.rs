//! Every label and message of the console in English and Simplified Chinese.

/// The console's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `--lang`, then the config, then `LANG` (zh_* → Chinese).
    pub fn resolve(flag: Option<&str>, config: Option<&str>) -> Lang {
        let pick = |s: &str| {
            if s.to_ascii_lowercase().starts_with("zh") {
                Some(Lang::Zh)
            } else if s.to_ascii_lowercase().starts_with("en") {
                Some(Lang::En)
            } else {
                None
            }
        };
        flag.and_then(pick)
            .or_else(|| config.and_then(pick))
            .or_else(|| std::env::var("LANG").ok().as_deref().and_then(pick))
            .unwrap_or_default()
    }
}

/// Message keys; `t` looks each up in the current language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    TabTasks,
    TabApprovals,
    TabInventory,
    Id,
    State,
    Module,
    Submitter,
    ExecTime,
    Name,
    Targets,
    WaitingSince,
    Progress,
    Group,
    Level,
    Host,
    Step,
    Log,
    Follow,
    Wrap,
    Filter,
    Help,
    Quit,
    Open,
    Back,
    Approve,
    Reject,
    Mark,
    Cancel,
    Retry,
    Release,
    Skip,
    Search,
    NoTasks,
    NoApprovals,
    TooSmall,
    Loading,
    Confirm,
    Tags,
    Hosts,
    Templates,
    Apps,
    Address,
    Proxy,
    Lines,
    Reason,
    Yes,
    No,
    Refresh,
    Palette,
    NextTab,
    Move,
    Scroll,
    HostFilter,
    Export,
    Exported,
    Approved,
    Rejected,
    Done,
}

pub fn t(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match lang {
        Lang::En => match key {
            TabTasks => "Tasks",
            TabApprovals => "Approvals",
            TabInventory => "Inventory",
            Id => "ID",
            State => "State",
            Module => "Module",
            Submitter => "Submitter",
            ExecTime => "Exec time",
            Name => "Name",
            Targets => "Targets",
            WaitingSince => "Waiting since",
            Progress => "Progress",
            Group => "Group",
            Level => "Level",
            Host => "Host",
            Step => "Step",
            Log => "Log",
            Follow => "follow",
            Wrap => "wrap",
            Filter => "filter",
            Help => "help",
            Quit => "quit",
            Open => "open",
            Back => "back",
            Approve => "approve",
            Reject => "reject",
            Mark => "mark",
            Cancel => "cancel",
            Retry => "retry",
            Release => "release",
            Skip => "skip",
            Search => "search",
            NoTasks => "No tasks yet.",
            NoApprovals => "Nothing waits for your approval.",
            TooSmall => "The terminal is too small: at least 60×15 is needed.",
            Loading => "loading…",
            Confirm => "Confirm",
            Tags => "Tags",
            Hosts => "Hosts",
            Templates => "Templates",
            Apps => "Apps",
            Address => "Address",
            Proxy => "Proxy",
            Lines => "lines",
            Reason => "Reason",
            Yes => "yes",
            No => "no",
            Refresh => "refresh",
            Palette => "command",
            NextTab => "tabs",
            Move => "move",
            Scroll => "scroll",
            HostFilter => "host",
            Export => "export",
            Exported => "log exported to",
            Approved => "approved",
            Rejected => "rejected",
            Done => "done",
        },
        Lang::Zh => match key {
            TabTasks => "任务",
            TabApprovals => "审批",
            TabInventory => "资产",
            Id => "编号",
            State => "状态",
            Module => "模块",
            Submitter => "提交人",
            ExecTime => "执行时间",
            Name => "名称",
            Targets => "目标",
            WaitingSince => "等待自",
            Progress => "进度",
            Group => "组",
            Level => "级",
            Host => "主机",
            Step => "步骤",
            Log => "日志",
            Follow => "跟随",
            Wrap => "换行",
            Filter => "筛选",
            Help => "帮助",
            Quit => "退出",
            Open => "打开",
            Back => "返回",
            Approve => "批准",
            Reject => "驳回",
            Mark => "标记",
            Cancel => "取消",
            Retry => "重试",
            Release => "放行",
            Skip => "跳过",
            Search => "搜索",
            NoTasks => "还没有任务。",
            NoApprovals => "没有等待您审批的任务。",
            TooSmall => "终端太小：至少需要 60×15。",
            Loading => "加载中…",
            Confirm => "确认",
            Tags => "标签",
            Hosts => "主机",
            Templates => "模板",
            Apps => "应用",
            Address => "地址",
            Proxy => "代理",
            Lines => "行",
            Reason => "原因",
            Yes => "是",
            No => "否",
            Refresh => "刷新",
            Palette => "命令",
            NextTab => "切换标签",
            Move => "移动",
            Scroll => "滚动",
            HostFilter => "主机",
            Export => "导出",
            Exported => "日志已导出到",
            Approved => "已批准",
            Rejected => "已驳回",
            Done => "完成",
        },
    }
}

/// A task state's name in the current language.
pub fn state_name(lang: Lang, s: crate::model::TaskState) -> &'static str {
    use crate::model::TaskState::*;
    match lang {
        Lang::En => s.as_str(),
        Lang::Zh => match s {
            PendingApproval => "待审批",
            Scheduled => "已排期",
            Running => "执行中",
            Succeeded => "成功",
            Failed => "失败",
            Rejected => "已驳回",
            Cancelled => "已取消",
            Interrupted => "已中断",
            Missed => "已错过",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_config_beats_env() {
        assert_eq!(Lang::resolve(Some("zh"), Some("en")), Lang::Zh);
        assert_eq!(Lang::resolve(None, Some("zh")), Lang::Zh);
        assert_eq!(Lang::resolve(Some("en"), Some("zh")), Lang::En);
    }
}
