//! Realistic synthetic people for the demo and the tests: names as they are common in Wenzhou,
//! plausible birthdays, phones and specialties, drawn from a seeded generator so that every run
//! of the demo produces the same people.

use chrono::NaiveDate;

/// A small, fast, seeded generator (SplitMix64). Not for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn range(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        lo + self.below((hi_inclusive - lo + 1) as u64) as i64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const SURNAMES: &[&str] = &[
    "陈", "林", "黄", "王", "张", "李", "郑", "周", "吴", "叶", "刘", "徐", "朱", "金", "潘", "赵", "杨", "胡", "卢",
    "施", "谢", "蔡", "郭", "池", "倪", "孙", "高", "钱", "赵", "章", "方", "项", "董", "薛", "梁", "余", "戴", "虞",
];
const GIVEN: &[&str] = &[
    "建", "国", "华", "明", "伟", "芳", "丽", "海", "军", "平", "强", "敏", "静", "晓", "志", "永", "秀", "英", "红",
    "春", "东", "文", "杰", "涛", "勇", "燕", "玲", "霞", "斌", "辉", "峰", "磊", "洁", "婷", "俊", "慧", "新", "成",
    "松", "瑞", "雪", "光", "德", "荣", "兴", "琴", "佳", "宇", "晨", "浩",
];

/// Specialties members declare, matching the eight role posts of 红色八大员 (004.3).
pub const SPECIALTIES: &[&str] = &[
    "宣传",
    "信息联络",
    "隔离监管",
    "劝导",
    "代办服务",
    "应急救援",
    "交通管制",
    "治安巡查",
    "医疗",
    "电工",
    "驾驶",
    "种养殖",
];

pub fn person_name(rng: &mut Rng) -> String {
    let mut s = rng.pick(SURNAMES).to_string();
    let given: &&str = rng.pick(GIVEN);
    s.push_str(given);
    if rng.chance(75) {
        let second: &&str = rng.pick(GIVEN);
        s.push_str(second);
    }
    s
}

/// A mobile number with a real carrier prefix.
pub fn phone(rng: &mut Rng) -> String {
    const PREFIXES: &[&str] =
        &["133", "135", "136", "137", "138", "139", "150", "151", "158", "159", "177", "180", "189"];
    format!("{}{:08}", rng.pick(PREFIXES), rng.below(100_000_000))
}

/// A birthday for someone aged between `min_age` and `max_age` on `today`.
pub fn birthday(rng: &mut Rng, today: NaiveDate, min_age: i64, max_age: i64) -> NaiveDate {
    let days = rng.range(min_age * 365 + 1, max_age * 365);
    today - chrono::Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_seeded() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let names_a: Vec<String> = (0..20).map(|_| person_name(&mut a)).collect();
        let names_b: Vec<String> = (0..20).map(|_| person_name(&mut b)).collect();
        assert_eq!(names_a, names_b);
        assert!(names_a.iter().all(|n| (2..=3).contains(&n.chars().count())));
    }

    #[test]
    fn phones_and_birthdays_are_plausible() {
        let mut r = Rng::new(7);
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for _ in 0..100 {
            let p = phone(&mut r);
            assert!(crate::people::validate_phone("phone", &p).unwrap().is_some());
            let b = birthday(&mut r, today, 18, 70);
            let age = today.years_since(b).unwrap();
            assert!((17..=70).contains(&age), "{age}");
        }
    }
}
