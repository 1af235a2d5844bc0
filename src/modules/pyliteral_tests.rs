//! Tests of the Python-literal parser: the same answers as the `py_literal` crate on CODO-like
//! input, Python's own spellings, and hostile nesting refused in linear time.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

/// The reference: `py_literal`'s parse, converted the way opsdeck used to convert it.
fn reference(src: &str) -> Option<Json> {
    fn conv(v: &py_literal::Value) -> Option<Json> {
        use py_literal::Value as V;
        Some(match v {
            V::String(s) => Json::String(s.clone()),
            V::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
            V::Integer(i) => int(i.to_string().parse::<i128>().ok()?),
            V::Float(f) => Number::from_f64(*f).map(Json::Number)?,
            V::Boolean(b) => Json::Bool(*b),
            V::None => Json::Null,
            V::Tuple(xs) | V::List(xs) | V::Set(xs) => {
                Json::Array(xs.iter().map(conv).collect::<Option<_>>()?)
            }
            V::Dict(kvs) => {
                let mut m = Map::new();
                for (k, v) in kvs {
                    m.insert(dict_key(&conv(k)?).ok()?, conv(v)?);
                }
                Json::Object(m)
            }
            V::Complex(_) => return None,
        })
    }
    conv(&src.parse::<py_literal::Value>().ok()?)
}

#[test]
fn agrees_with_py_literal_on_codo_like_input() {
    let samples = [
        "{'VERSION':'eeee', 'arg02': 'xxxx'}",
        "{1: '127.0.0.1'}",
        "{'group-1': ['someone']}",
        "{1: ('10.0.0.1', 'h3,10.0.0.1')}",
        "{'g1': ('bob',), 'g2': 'root, bob',}",
        r#"{'VERSION': "it's \"quoted\"", 'arg02': None}"#,
        "{'VERSION': True, 'arg02': 1.5, 'n': -3, 'h': 0x1F, 'o': 0o17, 'b': 0b101}",
        r"{'esc': '\x41\u4e2d\101\t\n', 'u': '中文'}",
        "b'raw'",
        "[1, 2.5e3, -0.25, 1_000]",
        "{1, 2, 3}",
        "()",
        "[]",
        "{}",
        "{'a': {'b': {'c': [[], [1]]}}}",
    ];
    for s in samples {
        let want = reference(s).unwrap_or_else(|| panic!("py_literal refuses {s}"));
        assert_eq!(parse(s).unwrap_or_else(|e| panic!("{s}: {e}")), want, "{s}");
    }
}

#[test]
fn python_spellings_py_literal_lacks_are_accepted() {
    assert_eq!(parse("(1)").unwrap(), json!(1));
    assert_eq!(parse("u'x'").unwrap(), json!("x"));
    assert_eq!(parse(r"r'a\d'").unwrap(), json!(r"a\d"));
    assert_eq!(
        parse("{\n  'a': 1,\n  'b': 2\n}").unwrap(),
        json!({"a": 1, "b": 2})
    );
    assert_eq!(parse("{True: 1}").unwrap(), json!({"true": 1}));
    assert_eq!(parse("'''a\nb'''").unwrap(), json!("a\nb"));
    assert_eq!(
        parse("99999999999999999999").unwrap(),
        json!("99999999999999999999")
    );
}

#[test]
fn bad_literals_say_what_and_where() {
    for (src, want) in [
        ("{'VERSION': 'v1'", "expected `,` or `}`"),
        ("{1: 1+2j}", "complex"),
        ("{1: 2j}", "complex"),
        ("{'a' 'b'}", "expected `,` or `}`"),
        ("{'a': 1, 2}", "expected `:` in a dict"),
        ("{1, 'a': 2}", "unexpected `:` in a set"),
        ("{[1]: 2}", "dict key"),
        ("'abc", "unterminated string"),
        ("__import__('os')", "is not a literal"),
        ("'a' x", "unexpected text after the literal"),
        ("'\\N{DASH}'", "named escapes"),
    ] {
        let e = parse(src).expect_err(src);
        assert!(e.contains(want), "{src}: {e}");
        assert!(e.contains("at column "), "{src}: {e}");
    }
}

#[test]
fn hostile_nesting_is_refused_in_linear_time() {
    let t = Instant::now();
    // The probe: depth 20 took py_literal more than 20 s; depth 1000 in 2 KB more than 10 min.
    let d20 = format!("{{'A': {}1{}}}", "[".repeat(20), "]".repeat(20));
    assert!(parse(&d20).is_ok());
    let d1000 = format!("{{'A': {}{}}}", "[".repeat(1000), "]".repeat(1000));
    let e = parse(&d1000).expect_err("too deep");
    assert!(
        e.contains("limit of 32 levels") && e.contains("column 38"),
        "{e}"
    );
    let ok32 = format!("{}{}", "(".repeat(32), ")".repeat(32));
    assert!(parse(&ok32).is_ok());
    let wide = format!("[{}]", "[[[[[[[[1]]]]]]]], ".repeat(3_000));
    assert!(parse(&wide).is_ok());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let big = format!("'{}'", "x".repeat(MAX_BYTES));
    assert!(parse(&big).expect_err("too big").contains("limit is 65536"));
}
