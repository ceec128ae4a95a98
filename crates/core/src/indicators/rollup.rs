//! Scoring a whole tree at once from raw records, for prefecture and national scale: records as
//! columns are tallied into one flat array (a row of measures per unit) on several threads — first
//! partitioned by unit block so each block's rows stay in cache, then added block by block — rolled
//! up bottom-up so each unit's row holds its whole subtree, and summarised unit by unit. One new
//! record afterwards touches only its unit and the units above it ([`TreeTallies::add`]).

use super::scheme::Scheme;
use super::score::{Summary, Tallier, Tally};
use crate::records::RecordKind;

/// Records as columns: the unit each is about (a position in the tree), its kind (a position in
/// `RecordKind::ALL`) and its value.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub unit: &'a [u32],
    pub kind: &'a [u8],
    pub value: &'a [i32],
}

/// Every unit's tally, rolled up: `flat[u * measures ..][.. measures]` holds unit `u`'s subtree.
#[derive(Debug, Clone)]
pub struct TreeTallies {
    pub measures: usize,
    pub flat: Vec<f64>,
    pub members: Vec<f64>,
    pub days: f64,
}

/// A record in a partition: its unit within the block, kind and value.
#[derive(Debug, Clone, Copy)]
struct Packed {
    unit: u32,
    kind: u8,
    value: i32,
}

/// Rows per block: about 256 KiB of tallies, so a block's rows stay in the core's cache.
fn block_units(measures: usize) -> usize {
    ((256 * 1024) / (8 * measures.max(1))).max(64)
}

impl TreeTallies {
    /// Tallies `records` for a tree given by `parent` (`parent[u] < u` for every unit but the root,
    /// 0) with `members` party members at each unit, on `threads` threads, and rolls up.
    pub fn build(
        scheme: &Scheme,
        parent: &[u32],
        members: &[u32],
        records: Columns<'_>,
        days: f64,
        threads: usize,
    ) -> Self {
        let m = scheme.measures.len();
        let n = parent.len();
        let tallier = Tallier::new(&scheme.measures);
        let threads = threads.max(1);
        let block = block_units(m);
        let blocks = n.div_ceil(block);
        let len = records.unit.len().min(records.kind.len()).min(records.value.len());
        let per_thread = len.div_ceil(threads).max(1);
        // 1. Each thread partitions its share of the records by block.
        let partitioned: Vec<(Vec<usize>, Vec<Packed>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = (t * per_thread).min(len)..((t + 1) * per_thread).min(len);
                    s.spawn(move || {
                        let mut starts = vec![0usize; blocks + 1];
                        for i in range.clone() {
                            let u = records.unit[i] as usize;
                            if u < n {
                                starts[u / block + 1] += 1;
                            }
                        }
                        for b in 0..blocks {
                            starts[b + 1] += starts[b];
                        }
                        let mut next = starts.clone();
                        let mut out = vec![Packed { unit: 0, kind: 0, value: 0 }; starts[blocks]];
                        for i in range {
                            let u = records.unit[i] as usize;
                            if u < n {
                                let b = u / block;
                                out[next[b]] =
                                    Packed { unit: (u % block) as u32, kind: records.kind[i], value: records.value[i] };
                                next[b] += 1;
                            }
                        }
                        (starts, out)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        // 2. Blocks are shared among the threads; each tallies its blocks' records.
        let mut flat = vec![0f64; n * m];
        {
            let mut groups: Vec<Vec<(usize, &mut [f64])>> = (0..threads).map(|_| Vec::new()).collect();
            for (b, slab) in flat.chunks_mut(block * m).enumerate() {
                groups[b % threads].push((b, slab));
            }
            let partitioned = &partitioned;
            let tallier = &tallier;
            std::thread::scope(|s| {
                for group in groups {
                    s.spawn(move || {
                        for (b, slab) in group {
                            for (starts, packed) in partitioned {
                                for r in &packed[starts[b]..starts[b + 1]] {
                                    let u = r.unit as usize;
                                    if let Some(kind) = RecordKind::ALL.get(usize::from(r.kind)) {
                                        tallier.add(&mut slab[u * m..(u + 1) * m], *kind, i64::from(r.value), "", 1);
                                    }
                                }
                            }
                        }
                    });
                }
            });
        }
        // 3. Children into parents, deepest first.
        let mut member_counts: Vec<f64> = (0..n).map(|u| f64::from(members.get(u).copied().unwrap_or(0))).collect();
        for u in (1..n).rev() {
            let p = parent[u] as usize;
            if p >= u {
                continue;
            }
            let (head, tail) = flat.split_at_mut(u * m);
            for (a, b) in head[p * m..(p + 1) * m].iter_mut().zip(&tail[..m]) {
                *a += b;
            }
            member_counts[p] += member_counts[u];
        }
        TreeTallies { measures: m, flat, members: member_counts, days }
    }

    /// Unit `u`'s tally, copied into `into` (made with `Scheme::tally`).
    pub fn read(&self, u: usize, into: &mut Tally) {
        into.measures.copy_from_slice(&self.flat[u * self.measures..(u + 1) * self.measures]);
        into.members = self.members[u];
        into.days = self.days;
    }

    /// Every unit's summary, in unit order.
    pub fn summaries(&self, scheme: &Scheme) -> Vec<Summary> {
        let mut tally = scheme.tally(self.days);
        (0..self.members.len())
            .map(|u| {
                self.read(u, &mut tally);
                scheme.summary(&tally)
            })
            .collect()
    }

    /// One more record at unit `u`: it is added to `u` and every unit above, whose summaries are
    /// given back, `u` first.
    pub fn add(
        &mut self,
        scheme: &Scheme,
        tallier: &Tallier,
        parent: &[u32],
        u: usize,
        kind: RecordKind,
        value: i64,
    ) -> Vec<(usize, Summary)> {
        let m = self.measures;
        let mut tally = scheme.tally(self.days);
        let mut out = Vec::new();
        let mut at = u;
        loop {
            tallier.add(&mut self.flat[at * m..(at + 1) * m], kind, value, "", 1);
            self.read(at, &mut tally);
            out.push((at, scheme.summary(&tally)));
            let p = parent[at] as usize;
            if at == 0 || p >= at {
                break;
            }
            at = p;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::from_json;
    use crate::indicators::scheme::defaults;

    #[test]
    fn the_bulk_path_gives_what_scoring_each_unit_alone_gives() {
        let scheme = from_json(defaults::BASTION).unwrap();
        // root 0 → county 1 → townships 2, 3 → villages 4..8 (two each) … and many grids, so the
        // tallies span several blocks.
        let mut parent = vec![0u32, 0, 1, 1, 2, 2, 3, 3];
        for g in 0..20_000u32 {
            parent.push(4 + g % 4);
        }
        let members: Vec<u32> = (0..parent.len() as u32).map(|u| u % 3).collect();
        let mut rng = crate::demo::Rng::new(5);
        let (mut unit, mut kind, mut value) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..50_000 {
            unit.push(rng.below(parent.len() as u64) as u32);
            kind.push(rng.below(RecordKind::ALL.len() as u64) as u8);
            value.push(rng.range(0, 3) as i32);
        }
        let columns = Columns { unit: &unit, kind: &kind, value: &value };
        let bulk = TreeTallies::build(&scheme, &parent, &members, columns, 30.0, 3);
        // The same by hand: every record added to its unit and every ancestor.
        let tallier = Tallier::new(&scheme.measures);
        let mut by_hand = vec![scheme.tally(30.0); parent.len()];
        for i in 0..unit.len() {
            let mut at = unit[i] as usize;
            loop {
                tallier.add(&mut by_hand[at].measures, RecordKind::ALL[kind[i] as usize], i64::from(value[i]), "", 1);
                if at == 0 {
                    break;
                }
                at = parent[at] as usize;
            }
        }
        for (u, &count) in members.iter().enumerate() {
            let mut at = u;
            loop {
                by_hand[at].members += f64::from(count);
                if at == 0 {
                    break;
                }
                at = parent[at] as usize;
            }
        }
        let summaries = bulk.summaries(&scheme);
        let mut t = scheme.tally(30.0);
        for u in [0usize, 1, 2, 5, 7, 8, 9_000, parent.len() - 1] {
            bulk.read(u, &mut t);
            assert_eq!(t, by_hand[u], "unit {u}");
            let full = scheme.score(&by_hand[u]);
            assert_eq!(
                (summaries[u].total, summaries[u].stars, summaries[u].laggard),
                (full.total, full.stars, full.laggard)
            );
        }
        // One more record re-scores its unit and the units above it, and agrees with a rebuild.
        let mut bulk = bulk;
        let touched = bulk.add(&scheme, &tallier, &parent, 9_000, RecordKind::ShiftMissed, 1);
        assert_eq!(
            touched.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![9_000, parent[9_000] as usize, 2 + (parent[9_000] as usize - 4) / 2, 1, 0]
        );
        let mut unit2 = unit.clone();
        let (mut kind2, mut value2) = (kind.clone(), value.clone());
        unit2.push(9_000);
        kind2.push(RecordKind::ShiftMissed.index() as u8);
        value2.push(1);
        let rebuilt = TreeTallies::build(
            &scheme,
            &parent,
            &members,
            Columns { unit: &unit2, kind: &kind2, value: &value2 },
            30.0,
            2,
        );
        assert_eq!(rebuilt.flat, bulk.flat);
    }
}
