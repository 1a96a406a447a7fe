//! Request coalescing: concurrent identical reads share one plugin run (and, in
//! [`crate::keys`], concurrent first calls of one API key share one store read).
//!
//! The first caller of a key leads: it runs the plugin and publishes the result. Callers that
//! arrive while it runs follow: they wait for that result instead of running the plugin again.
//! If the leader goes away without a result (its caller hung up and its future was dropped), the
//! followers see it and one of them leads a new run; nobody waits forever, and nobody gets a
//! result that wasn't produced for the same key.
//!
//! Per process. Across replicas, Redis's shared cache serves what another replica already read;
//! two replicas asked at the same instant each run once (a distributed lock would add a round
//! trip to every miss and a failure mode to every call).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// The runs in flight, by key.
pub struct Flights<K, V> {
    running: Arc<Mutex<HashMap<K, watch::Receiver<Option<V>>>>>,
}

impl<K, V> Default for Flights<K, V> {
    fn default() -> Self {
        Flights { running: Arc::new(Mutex::new(HashMap::new())) }
    }
}

/// What [`Flights::join`] makes of a caller.
pub enum Join<K: Eq + Hash, V> {
    /// Run it, then [`Leader::finish`].
    Lead(Leader<K, V>),
    /// Wait for the leader with [`Follower::wait`].
    Follow(Follower<V>),
}

/// The caller that runs the plugin for everyone waiting on its key.
pub struct Leader<K: Eq + Hash, V> {
    key: Option<K>,
    running: Arc<Mutex<HashMap<K, watch::Receiver<Option<V>>>>>,
    publish: watch::Sender<Option<V>>,
}

/// A caller waiting for a leader's result.
pub struct Follower<V> {
    result: watch::Receiver<Option<V>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Flights<K, V> {
    /// Joins the run of `key`: leads it if none is running, follows it otherwise.
    pub fn join(&self, key: &K) -> Join<K, V> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(result) = running.get(key) {
            return Join::Follow(Follower { result: result.clone() });
        }
        let (publish, result) = watch::channel(None);
        running.insert(key.clone(), result);
        Join::Lead(Leader { key: Some(key.clone()), running: self.running.clone(), publish })
    }

    /// How many runs are in flight.
    pub fn len(&self) -> usize {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no run is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Eq + Hash, V> Leader<K, V> {
    /// Ends the run (later callers lead anew) and publishes `result()` to the followers, if any
    /// joined: with none, the result is never built (no copy of an answer nobody waits for).
    pub fn finish(mut self, result: impl FnOnce() -> V) {
        self.leave();
        // Every follower holds a receiver; the map's own went with `leave`.
        if self.publish.receiver_count() > 0 {
            let _ = self.publish.send(Some(result()));
        }
    }

    fn leave(&mut self) {
        if let Some(key) = self.key.take() {
            self.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&key);
        }
    }
}

impl<K: Eq + Hash, V> Drop for Leader<K, V> {
    /// A leader dropped without a result ends its run; its followers see the channel close.
    fn drop(&mut self) {
        self.leave();
    }
}

impl<V: Clone> Follower<V> {
    /// The leader's result, or `None` when the leader went away without one (then join again).
    pub async fn wait(mut self) -> Option<V> {
        let published = self.result.wait_for(Option::is_some).await.map(|result| result.clone());
        published.unwrap_or_else(|_| self.result.borrow().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn followers_get_the_leaders_result_and_the_next_caller_leads_anew() {
        let flights = Flights::<String, u32>::default();
        let key = "k".to_owned();
        let Join::Lead(leader) = flights.join(&key) else { panic!("the first caller leads") };
        let followers: Vec<_> = (0..10)
            .map(|_| match flights.join(&key) {
                Join::Follow(follower) => tokio::spawn(follower.wait()),
                Join::Lead(_) => panic!("a second leader"),
            })
            .collect();
        assert!(matches!(flights.join(&"other".to_owned()), Join::Lead(_)), "other keys run on their own");
        leader.finish(|| 7);
        for follower in followers {
            assert_eq!(follower.await.ok(), Some(Some(7)));
        }
        assert!(flights.is_empty());
        assert!(matches!(flights.join(&key), Join::Lead(_)));
    }

    #[tokio::test]
    async fn a_leader_that_goes_away_releases_its_followers() {
        let flights = Flights::<String, u32>::default();
        let key = "k".to_owned();
        let Join::Lead(leader) = flights.join(&key) else { panic!("the first caller leads") };
        let Join::Follow(follower) = flights.join(&key) else { panic!("the second follows") };
        let waiting = tokio::spawn(follower.wait());
        drop(leader);
        assert_eq!(waiting.await.ok(), Some(None));
        assert!(matches!(flights.join(&key), Join::Lead(_)), "the next caller leads a new run");
    }
}
