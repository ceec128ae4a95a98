//! Indicator formulas: a small arithmetic language over the records ledger, so a county can
//! define an indicator as data ("shifts stood out of shifts rostered") without a new release.
//!
//! ```text
//! rate(count(shift_attended), count(shift_attended) + count(shift_missed))
//! sum(training_attended) / members
//! count(finding_raised, value >= 2)
//! ```
//!
//! * `count(kind, cond…)`: how many records of a kind; `sum(kind, cond…)`: the sum of their values.
//!   Conditions: `value <op> number` (`=`, `!=`, `<`, `<=`, `>`, `>=`) and `source = name`.
//! * `members`: the party members of the unit and everything below it (1 for a person).
//! * `days`: the days in the period scored, for per-day rates that do not depend on its length.
//! * `rate(a, b)`: a ÷ b; when b is 0 nothing was asked, and the rate is *not applicable* (NaN):
//!   the scheme then excludes the indicator, or scores it full or zero, as it says
//!   ([`super::scheme::NotApplicable`]); never a perfect score by default.
//! * `a / b` is 0 when b is 0; `min(a, b)`, `max(a, b)`, `+ - * /`, parentheses, numbers.
//!
//! Formulas compile to an [`Expr`] whose leaves are indexes into a list of [`Measure`]s; a
//! subject's measures are tallied once from its records, then every formula is evaluated on them.

use super::score::Tally;
use crate::FieldError;
use crate::records::RecordKind;

/// How records are aggregated into a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    Count,
    Sum,
}

/// A comparison in a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    pub fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Compare::Eq => left == right,
            Compare::Ne => left != right,
            Compare::Lt => left < right,
            Compare::Le => left <= right,
            Compare::Gt => left > right,
            Compare::Ge => left >= right,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compare::Eq => "=",
            Compare::Ne => "!=",
            Compare::Lt => "<",
            Compare::Le => "<=",
            Compare::Gt => ">",
            Compare::Ge => ">=",
        }
    }
}

/// One aggregate over one kind of record, with optional conditions: the leaves of formulas.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Measure {
    pub aggregate: Aggregate,
    pub kind: RecordKind,
    pub value: Option<(Compare, i64)>,
    pub source: Option<String>,
}

impl Measure {
    /// Whether a record with this value and source counts towards the measure (its kind is
    /// matched by the caller, which keeps measures by kind).
    pub fn accepts(&self, value: i64, source: &str) -> bool {
        self.value.is_none_or(|(op, n)| op.holds(value, n)) && self.source.as_deref().is_none_or(|s| s == source)
    }

    /// What this measure adds for `count` records with `value`.
    pub fn contribution(&self, value: i64, count: i64) -> f64 {
        match self.aggregate {
            Aggregate::Count => count as f64,
            Aggregate::Sum => (value * count) as f64,
        }
    }
}

/// What a formula's leaf stands for, to be named in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// One of the scheme's measures, by index.
    Measure(usize),
    /// The party members of the subject.
    Members,
    /// The days of the period.
    Days,
}

/// A compiled formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Measure(usize),
    Members,
    Days,
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Rate(Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The formula's value for a subject's tally: NaN when it is not applicable (a rate of
    /// nothing asked, or anything computed from one).
    pub fn eval(&self, t: &Tally) -> f64 {
        let (measures, members) = (&t.measures, t.members);
        match self {
            Expr::Number(n) => *n,
            Expr::Measure(i) => measures.get(*i).copied().unwrap_or(0.0),
            Expr::Members => members,
            Expr::Days => t.days,
            Expr::Add(a, b) => a.eval(t) + b.eval(t),
            Expr::Sub(a, b) => a.eval(t) - b.eval(t),
            Expr::Mul(a, b) => a.eval(t) * b.eval(t),
            Expr::Div(a, b) => {
                let d = b.eval(t);
                if d == 0.0 { 0.0 } else { a.eval(t) / d }
            }
            Expr::Neg(a) => -a.eval(t),
            Expr::Rate(a, b) => {
                let d = b.eval(t);
                if d == 0.0 { f64::NAN } else { a.eval(t) / d }
            }
            // `f64::min` and `max` drop a NaN operand; not applicable must stay not applicable.
            Expr::Min(a, b) => {
                let (x, y) = (a.eval(t), b.eval(t));
                if x.is_nan() || y.is_nan() { f64::NAN } else { x.min(y) }
            }
            Expr::Max(a, b) => {
                let (x, y) = (a.eval(t), b.eval(t));
                if x.is_nan() || y.is_nan() { f64::NAN } else { x.max(y) }
            }
        }
    }

    /// The formula in words with each part's value, e.g. `卡点值守 168 / (卡点值守 168 + 卡点缺岗 6)`:
    /// `leaf` names a measure, the members or the days (`Leaf`) with its value; `min`/`max` name
    /// the functions in the reader's language.
    pub fn in_words(&self, t: &Tally, leaf: &dyn Fn(Leaf) -> String, min_max: (&str, &str)) -> String {
        let number = |x: f64| {
            let x = super::score::round2(x);
            if x.fract() == 0.0 { format!("{x:.0}") } else { x.to_string() }
        };
        // Sums and differences are put in parentheses inside a product, quotient or negation.
        let inner = |e: &Expr| {
            let w = e.in_words(t, leaf, min_max);
            if matches!(e, Expr::Add(..) | Expr::Sub(..)) { format!("({w})") } else { w }
        };
        match self {
            Expr::Number(n) => number(*n),
            Expr::Measure(i) => {
                format!("{} {}", leaf(Leaf::Measure(*i)), number(t.measures.get(*i).copied().unwrap_or(0.0)))
            }
            Expr::Members => format!("{} {}", leaf(Leaf::Members), number(t.members)),
            Expr::Days => format!("{} {}", leaf(Leaf::Days), number(t.days)),
            Expr::Add(a, b) => format!("{} + {}", a.in_words(t, leaf, min_max), b.in_words(t, leaf, min_max)),
            Expr::Sub(a, b) => format!("{} − {}", a.in_words(t, leaf, min_max), inner(b)),
            Expr::Mul(a, b) => format!("{} × {}", inner(a), inner(b)),
            Expr::Div(a, b) | Expr::Rate(a, b) => format!("{} / {}", inner(a), inner(b)),
            Expr::Neg(a) => format!("−{}", inner(a)),
            Expr::Min(a, b) => {
                format!("{}({}, {})", min_max.0, a.in_words(t, leaf, min_max), b.in_words(t, leaf, min_max))
            }
            Expr::Max(a, b) => {
                format!("{}({}, {})", min_max.1, a.in_words(t, leaf, min_max), b.in_words(t, leaf, min_max))
            }
        }
    }

    /// The measures this formula reads, in the order they appear, each once.
    pub fn measures(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Number(_) | Expr::Members | Expr::Days => {}
            Expr::Measure(i) => {
                if !out.contains(i) {
                    out.push(*i);
                }
            }
            Expr::Neg(a) => a.measures(out),
            Expr::Add(a, b)
            | Expr::Sub(a, b)
            | Expr::Mul(a, b)
            | Expr::Div(a, b)
            | Expr::Rate(a, b)
            | Expr::Min(a, b)
            | Expr::Max(a, b) => {
                a.measures(out);
                b.measures(out);
            }
        }
    }
}

/// The longest formula accepted, in characters, and the deepest nesting: a formula is typed by a
/// person, and both bounds keep a hostile one from exhausting the stack.
pub const MAX_FORMULA_CHARS: usize = 500;
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Word(String),
    Symbol(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, &'static str> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let n: f64 = s.parse().map_err(|_| "error.formula.syntax")?;
            if !n.is_finite() {
                return Err("error.formula.syntax");
            }
            tokens.push(Token::Number(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let symbol = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "!=" => Some("!="),
                _ => None,
            };
            if let Some(s) = symbol {
                tokens.push(Token::Symbol(s));
                i += 2;
                continue;
            }
            let s = match c {
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '=' => "=",
                '<' => "<",
                '>' => ">",
                _ => return Err("error.formula.syntax"),
            };
            tokens.push(Token::Symbol(s));
            i += 1;
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    measures: &'a mut Vec<Measure>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: &str) -> Result<(), &'static str> {
        if self.eat(symbol) { Ok(()) } else { Err("error.formula.syntax") }
    }

    fn expr(&mut self) -> Result<Expr, &'static str> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("error.formula.too_deep");
        }
        let mut left = self.term()?;
        loop {
            if self.eat("+") {
                left = Expr::Add(Box::new(left), Box::new(self.term()?));
            } else if self.eat("-") {
                left = Expr::Sub(Box::new(left), Box::new(self.term()?));
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, &'static str> {
        let mut left = self.unary()?;
        loop {
            if self.eat("*") {
                left = Expr::Mul(Box::new(left), Box::new(self.unary()?));
            } else if self.eat("/") {
                left = Expr::Div(Box::new(left), Box::new(self.unary()?));
            } else {
                break;
            }
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, &'static str> {
        if self.eat("-") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err("error.formula.too_deep");
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, &'static str> {
        match self.next() {
            Some(Token::Number(n)) => Ok(Expr::Number(n)),
            Some(Token::Symbol("(")) => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Some(Token::Word(w)) => match w.as_str() {
                "members" | "days" => {
                    // `members` and `members()` both read well.
                    if self.eat("(") {
                        self.expect(")")?;
                    }
                    Ok(if w == "members" { Expr::Members } else { Expr::Days })
                }
                "count" | "sum" => {
                    let aggregate = if w == "count" { Aggregate::Count } else { Aggregate::Sum };
                    self.measure(aggregate)
                }
                "rate" | "min" | "max" => {
                    self.expect("(")?;
                    let a = self.expr()?;
                    self.expect(",")?;
                    let b = self.expr()?;
                    self.expect(")")?;
                    let (a, b) = (Box::new(a), Box::new(b));
                    Ok(match w.as_str() {
                        "rate" => Expr::Rate(a, b),
                        "min" => Expr::Min(a, b),
                        _ => Expr::Max(a, b),
                    })
                }
                _ => Err("error.formula.unknown_name"),
            },
            _ => Err("error.formula.syntax"),
        }
    }

    fn measure(&mut self, aggregate: Aggregate) -> Result<Expr, &'static str> {
        self.expect("(")?;
        let kind = match self.next() {
            Some(Token::Word(k)) => RecordKind::parse(&k).ok_or("error.formula.unknown_kind")?,
            _ => return Err("error.formula.syntax"),
        };
        let mut measure = Measure { aggregate, kind, value: None, source: None };
        while self.eat(",") {
            match self.next() {
                Some(Token::Word(w)) if w == "value" => {
                    let op = match self.next() {
                        Some(Token::Symbol("=")) => Compare::Eq,
                        Some(Token::Symbol("!=")) => Compare::Ne,
                        Some(Token::Symbol("<")) => Compare::Lt,
                        Some(Token::Symbol("<=")) => Compare::Le,
                        Some(Token::Symbol(">")) => Compare::Gt,
                        Some(Token::Symbol(">=")) => Compare::Ge,
                        _ => return Err("error.formula.syntax"),
                    };
                    let negative = self.eat("-");
                    let n = match self.next() {
                        Some(Token::Number(n)) if n.fract() == 0.0 && n.abs() < 1e15 => n as i64,
                        _ => return Err("error.formula.syntax"),
                    };
                    if measure.value.is_some() {
                        return Err("error.formula.syntax");
                    }
                    measure.value = Some((op, if negative { -n } else { n }));
                }
                Some(Token::Word(w)) if w == "source" => {
                    self.expect("=")?;
                    match self.next() {
                        Some(Token::Word(s)) if measure.source.is_none() => measure.source = Some(s),
                        _ => return Err("error.formula.syntax"),
                    }
                }
                _ => return Err("error.formula.syntax"),
            }
        }
        self.expect(")")?;
        let index = match self.measures.iter().position(|m| *m == measure) {
            Some(i) => i,
            None => {
                self.measures.push(measure);
                self.measures.len() - 1
            }
        };
        Ok(Expr::Measure(index))
    }
}

/// Parses a formula; the measures it names are added to `measures` (shared by a whole scheme, so
/// each is tallied once) and the field named in an error is `field`.
pub fn parse(field: &str, text: &str, measures: &mut Vec<Measure>) -> Result<Expr, FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    if text.chars().count() > MAX_FORMULA_CHARS {
        return Err(FieldError::new(field, "error.too_long"));
    }
    let tokens = tokenize(text).map_err(|code| FieldError::new(field, code))?;
    let before = measures.len();
    let mut parser = Parser { tokens, at: 0, depth: 0, measures };
    let result =
        parser.expr().and_then(|e| if parser.at == parser.tokens.len() { Ok(e) } else { Err("error.formula.syntax") });
    result.map_err(|code| {
        measures.truncate(before);
        FieldError::new(field, code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(measures: &[f64], members: f64) -> Tally {
        Tally { measures: measures.to_vec(), members, days: 14.0 }
    }

    fn compile(text: &str) -> (Expr, Vec<Measure>) {
        let mut measures = Vec::new();
        let e = parse("f", text, &mut measures).unwrap();
        (e, measures)
    }

    #[test]
    fn arithmetic_follows_the_usual_precedence() {
        let (e, _) = compile("1 + 2 * 3 - (4 - 2) / 4");
        assert_eq!(e.eval(&t(&[], 0.0)), 6.5);
        let (e, _) = compile("-2 * -3");
        assert_eq!(e.eval(&t(&[], 0.0)), 6.0);
        let (e, _) = compile("min(3, 5) + max(3, 5) + members");
        assert_eq!(e.eval(&t(&[], 7.0)), 15.0);
        let (e, _) = compile("28 / days()");
        assert_eq!(e.eval(&t(&[], 7.0)), 2.0);
    }

    #[test]
    fn a_formula_reads_in_words_with_its_values() {
        let (e, m) =
            compile("rate(count(shift_attended), count(shift_attended) + count(shift_missed)) * 2 - min(members, 3)");
        let names = |l: Leaf| match l {
            Leaf::Measure(i) => m[i].kind.as_str().to_string(),
            Leaf::Members => "members".to_string(),
            Leaf::Days => "days".to_string(),
        };
        assert_eq!(
            e.in_words(&t(&[168.0, 6.0], 5.0), &names, ("min", "max")),
            "shift_attended 168 / (shift_attended 168 + shift_missed 6) × 2 − min(members 5, 3)"
        );
    }

    #[test]
    fn measures_are_shared_and_read_by_index() {
        let (e, m) = compile("rate(count(shift_attended), count(shift_attended) + count(shift_missed))");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].kind, RecordKind::ShiftAttended);
        assert_eq!(e.eval(&t(&[3.0, 1.0], 0.0)), 0.75);
        let mut read = Vec::new();
        e.measures(&mut read);
        assert_eq!(read, vec![0, 1]);
    }

    #[test]
    fn conditions_filter_by_value_and_source() {
        let (_, m) = compile(
            "count(finding_raised, value >= 2) + sum(training_attended, source = training) + count(order_rated, value = -1)",
        );
        assert_eq!(m[0].value, Some((Compare::Ge, 2)));
        assert!(m[0].accepts(3, "finding") && !m[0].accepts(1, "finding"));
        assert!(m[1].accepts(5, "training") && !m[1].accepts(5, "meeting"));
        assert_eq!(m[1].contribution(4, 3), 12.0);
        assert_eq!(m[0].contribution(4, 3), 3.0);
        assert_eq!(m[2].value, Some((Compare::Eq, -1)));
    }

    #[test]
    fn division_by_zero_is_zero_and_an_empty_rate_is_not_applicable() {
        let (e, _) = compile("count(task_submitted) / count(task_overdue)");
        assert_eq!(e.eval(&t(&[5.0, 0.0], 0.0)), 0.0);
        let (e, _) = compile("rate(count(task_submitted, value = 1), count(task_submitted))");
        assert!(e.eval(&t(&[0.0, 0.0], 0.0)).is_nan());
        assert_eq!(e.eval(&t(&[1.0, 4.0], 0.0)), 0.25);
        // Whatever is computed from a rate of nothing is not applicable either, min and max included.
        let (e, _) = compile("min(1, rate(count(task_submitted), count(task_overdue))) + 2");
        assert!(e.eval(&t(&[3.0, 0.0], 0.0)).is_nan());
        assert_eq!(e.eval(&t(&[3.0, 6.0], 0.0)), 2.5);
    }

    #[test]
    fn bad_formulas_say_what_is_wrong_and_add_no_measures() {
        let mut measures = Vec::new();
        let code = |text: &str, measures: &mut Vec<Measure>| parse("f", text, measures).unwrap_err().code;
        assert_eq!(code("", &mut measures), "error.required");
        assert_eq!(code("count(shift_attended) +", &mut measures), "error.formula.syntax");
        assert_eq!(code("count(no_such_kind)", &mut measures), "error.formula.unknown_kind");
        assert_eq!(code("average(shift_attended)", &mut measures), "error.formula.unknown_name");
        assert_eq!(code("count(shift_attended, colour = 1)", &mut measures), "error.formula.syntax");
        assert_eq!(code("count(shift_attended, value = 1.5)", &mut measures), "error.formula.syntax");
        assert_eq!(code("1 # 2", &mut measures), "error.formula.syntax");
        assert_eq!(code("(1 + 2", &mut measures), "error.formula.syntax");
        assert_eq!(code("1 2", &mut measures), "error.formula.syntax");
        assert_eq!(code(&"(".repeat(100), &mut measures), "error.formula.too_deep");
        assert_eq!(code(&"-".repeat(100), &mut measures), "error.formula.too_deep");
        assert_eq!(code(&"1+".repeat(300), &mut measures), "error.too_long");
        assert!(measures.is_empty());
    }
}
