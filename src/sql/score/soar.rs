//! Where opsdeck's score rules deliberately differ from SOAR's heuristics (advisor/heuristic.go),
//! rule by rule, for `opsdeck sql rules` and docs/sql-rules.md.

use super::rule::Text;

/// `(rule id, how it differs)`, in id order.
const DIFFERENCES: &[(&str, Text)] = &[
    (
        "CLA.010",
        Text {
            en: "non-ASCII letters count as letters: SOAR also flags `GROUP BY 地区` (any character outside a-z, 0-9, `_,.` ()` and spaces)",
            zh: "非 ASCII 字母按字母处理：SOAR 对 `GROUP BY 地区` 也会提示（a-z、0-9、`_,.` ()` 与空格以外的任何字符）",
        },
    ),
    (
        "FUN.003",
        Text {
            en: "only a `||` operator counts: SOAR searches the raw text, so `||` inside a string or a comment also fires",
            zh: "只认 `||` 运算符：SOAR 搜索原始文本，字符串或注释里的 `||` 也会提示",
        },
    ),
    (
        "RES.006",
        Text {
            en: "constants are compared by value as MySQL does (`1 = 1.0` is true, `'a' <> 'A'` false under the default collation); SOAR compares their texts, so it flags `1 = 1.0`",
            zh: "常量按 MySQL 的方式比较取值（`1 = 1.0` 为真，默认排序规则下 `'a' <> 'A'` 为假）；SOAR 比较文本，因此会对 `1 = 1.0` 提示",
        },
    ),
];

/// How rule `id` deliberately differs from SOAR, if it does.
pub fn differs(id: &str) -> Option<Text> {
    DIFFERENCES
        .iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_difference_names_an_existing_rule_in_order() {
        for w in DIFFERENCES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (id, t) in DIFFERENCES {
            assert!(super::super::rule(id).is_some(), "{id}");
            assert!(
                !t.en.is_empty() && t.zh.chars().any(|c| c as u32 > 0x2E80),
                "{id}"
            );
        }
        assert!(differs("FUN.003").is_some());
        assert!(differs("COL.001").is_none());
    }
}
