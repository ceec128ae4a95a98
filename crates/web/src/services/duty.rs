//! Services of "who answers for what" that the UI and the API share: the pairing proposal with
//! names, the planners with the staff they plan, and removal with succession.

use chrono::NaiveDate;
use frontline_core::DomainError;
use frontline_core::access::Actor;
use frontline_core::deployment::{Placement, Selection, Staff, pick_for_villages, split_thirds};
use frontline_core::pairing::{PairingRules, Proposal, propose};
use frontline_db::Db;
use frontline_db::pairing::{self, PairingSides};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppError;

/// A pairing request: the two sides, the weights, and pairs fixed by hand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PairingRequest {
    #[serde(flatten)]
    pub sides: PairingSides,
    /// Cost added to a pair whose kinds do not suit each other (default 100).
    #[serde(default = "default_mismatch")]
    pub mismatch_cost: f64,
    /// Cost per kilometre between seats (default 1).
    #[serde(default = "default_per_km")]
    pub per_km: f64,
    /// Cost per pair the left party already carries (default 10).
    #[serde(default = "default_per_load")]
    pub per_load: f64,
    /// `[left_id, right_id]` pairs fixed by hand.
    #[serde(default)]
    #[schema(schema_with = crate::api::id_pairs)]
    pub fixed: Vec<(i64, i64)>,
}

fn default_mismatch() -> f64 {
    PairingRules::default().mismatch_cost
}
fn default_per_km() -> f64 {
    PairingRules::default().per_km
}
fn default_per_load() -> f64 {
    PairingRules::default().per_load
}

/// One proposed pair with names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedPair {
    pub left_id: i64,
    pub left_name: String,
    pub right_id: i64,
    pub right_name: String,
    pub cost: f64,
    pub suits: bool,
    pub distance_km: f64,
    pub fixed: bool,
}

/// A right party left unpaired, with the reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedUnpaired {
    pub right_id: i64,
    pub right_name: String,
    /// Catalogue key of the reason.
    pub reason: String,
    pub best_left_name: Option<String>,
    pub best_left_took_name: Option<String>,
}

/// The engine's proposal with names, as the UI and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalView {
    pub left_count: usize,
    pub right_count: usize,
    pub pairs: Vec<NamedPair>,
    pub unpaired: Vec<NamedUnpaired>,
    pub total_cost: f64,
    pub suited: usize,
}

/// Proposes the optimal pairing of the two sides as they stand on `on`.
pub async fn propose_pairing(
    db: &Db,
    actor: &Actor,
    req: &PairingRequest,
    on: NaiveDate,
) -> Result<ProposalView, AppError> {
    actor.require("duty:pairing:run")?;
    let (left, right) = pairing::sides(db, &actor.scope, &req.sides, on).await?;
    let rules = PairingRules {
        mismatch_cost: req.mismatch_cost,
        per_km: req.per_km,
        per_load: req.per_load,
        ..PairingRules::default()
    };
    let Proposal { pairs, unpaired, total_cost, suited } = propose(&left, &right, &rules, &req.fixed)?;
    let left_name = |id: i64| left.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default();
    let right_name = |id: i64| right.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default();
    Ok(ProposalView {
        left_count: left.len(),
        right_count: right.len(),
        pairs: pairs
            .iter()
            .map(|p| NamedPair {
                left_id: p.left_id,
                left_name: left_name(p.left_id),
                right_id: p.right_id,
                right_name: right_name(p.right_id),
                cost: p.cost,
                suits: p.suits,
                distance_km: p.distance_km,
                fixed: p.fixed,
            })
            .collect(),
        unpaired: unpaired
            .iter()
            .map(|u| NamedUnpaired {
                right_id: u.right_id,
                right_name: right_name(u.right_id),
                reason: u.reason.clone(),
                best_left_name: u.best_left_id.map(left_name),
                best_left_took_name: u.best_left_took.map(right_name),
            })
            .collect(),
        total_cost,
        suited,
    })
}

/// A planner's row: the person and the plan's choice for them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanRow {
    pub person_id: i64,
    pub name: String,
    pub age: Option<i64>,
    pub party_member: bool,
    pub specialties: Option<String>,
    /// `unit`, `front` or `villages` (three thirds); `villages` or `stay` (30 % planner).
    pub choice: String,
    /// Catalogue key of the rule that decided.
    pub reason: String,
}

fn row(s: &Staff, choice: &str, reason: &str) -> PlanRow {
    PlanRow {
        person_id: s.person_id,
        name: s.name.clone(),
        age: s.age,
        party_member: s.party_member,
        specialties: s.specialties.clone(),
        choice: choice.to_string(),
        reason: reason.to_string(),
    }
}

/// The three thirds of a unit's roster (000.4).
pub async fn plan_thirds(db: &Db, actor: &Actor, unit_id: i64, on: NaiveDate) -> Result<Vec<PlanRow>, AppError> {
    actor.require("duty:deploy:list")?;
    let staff = frontline_db::deployment::staff(db, &actor.scope, unit_id, on).await?;
    let plan: Vec<Placement> = split_thirds(&staff);
    Ok(staff
        .iter()
        .filter_map(|s| plan.iter().find(|p| p.person_id == s.person_id).map(|p| row(s, p.third.as_str(), p.reason)))
        .collect())
}

/// `percent` % of a department's staff for villages (000.5).
pub async fn plan_villages(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    percent: u32,
    on: NaiveDate,
) -> Result<Vec<PlanRow>, AppError> {
    actor.require("duty:deploy:list")?;
    if !(1..=100).contains(&percent) {
        return Err(DomainError::invalid("percent", "error.out_of_range").into());
    }
    let staff = frontline_db::deployment::staff(db, &actor.scope, unit_id, on).await?;
    let plan: Vec<Selection> = pick_for_villages(&staff, percent);
    Ok(staff
        .iter()
        .zip(plan.iter())
        .map(|(s, p)| row(s, if p.chosen { "villages" } else { "stay" }, p.reason))
        .collect())
}
