//! The in-memory database: one [`Table`] per [`TableSpec`], rows as column → string maps.

use std::collections::{BTreeMap, HashMap};

use super::schema::{self, TableSpec};

/// One row: every column of its table, every value a string (IXC's listings have no other
/// type).
pub(crate) type Row = BTreeMap<String, String>;

/// A table's rows, its id sequence and its indexes.
///
/// Rows are read through `rows` but only ever changed through the methods here, which keep
/// the indexes right: a linear scan over 10,000 rows of string maps costs tens of
/// milliseconds in a debug build, an index lookup microseconds. Ids never change once a row
/// exists (updates skip `id`).
#[derive(Debug)]
pub(crate) struct Table {
    pub spec: &'static TableSpec,
    pub rows: Vec<Row>,
    /// The id the next insert gets.
    next_id: u64,
    /// Position in `rows` of each id.
    by_id: HashMap<String, usize>,
    /// A column whose rows are indexed too, when the table has one: only a column no write
    /// can change (see [`KEYED_COLUMNS`]).
    key_column: Option<&'static str>,
    /// Positions in `rows`, ascending, of each value of `key_column`.
    by_key: HashMap<String, Vec<usize>>,
}

/// `(table, column)`: columns indexed for lookups by value. `fn_areceber_baixas` is written
/// only by the baixa (an insert), so `id_receber` never changes.
const KEYED_COLUMNS: &[(&str, &str)] = &[("fn_areceber_baixas", "id_receber")];

impl Table {
    fn new(spec: &'static TableSpec) -> Self {
        let key_column = KEYED_COLUMNS.iter().find(|(table, _)| *table == spec.name).map(|(_, column)| *column);
        Self { spec, rows: Vec::new(), next_id: 1, by_id: HashMap::new(), key_column, by_key: HashMap::new() }
    }

    /// Appends `row` and indexes it.
    fn push(&mut self, row: Row) {
        let position = self.rows.len();
        self.by_id.insert(field(&row, "id").to_owned(), position);
        if let Some(column) = self.key_column {
            self.by_key.entry(field(&row, column).to_owned()).or_default().push(position);
        }
        self.rows.push(row);
    }

    /// Rebuilds the indexes (after a removal shifted positions).
    fn reindex(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        self.by_id.clear();
        self.by_key.clear();
        for row in rows {
            self.push(row);
        }
    }

    /// The rows whose `column` equals `value` exactly, when `column` is indexed (`id` or the
    /// table's key column), in table order; `None` when it isn't.
    pub(crate) fn indexed(&self, column: &str, value: &str) -> Option<Vec<&Row>> {
        if column == "id" {
            return Some(self.by_id.get(value).and_then(|&i| self.rows.get(i)).into_iter().collect());
        }
        if self.key_column == Some(column) {
            let positions = self.by_key.get(value).map(Vec::as_slice).unwrap_or_default();
            return Some(positions.iter().filter_map(|&i| self.rows.get(i)).collect());
        }
        None
    }

    /// A row holding every column's default.
    pub(crate) fn blank_row(&self) -> Row {
        let mut row: Row = self.spec.column_names().map(|c| (c.to_owned(), String::new())).collect();
        for (column, value) in self.spec.defaults {
            row.insert((*column).to_owned(), (*value).to_owned());
        }
        row
    }

    /// Adds a seeded row: the table's defaults overridden by `values` (which must name existing
    /// columns and include `id`).
    pub(crate) fn seed(&mut self, values: &[(&str, String)]) {
        let mut row = self.blank_row();
        for (column, value) in values {
            debug_assert!(row.contains_key(*column), "seed of {} names unknown column {column}", self.spec.name);
            row.insert((*column).to_owned(), value.clone());
        }
        self.seed_row(row);
    }

    /// Adds a complete seeded row (every column present, `id` numeric), e.g. a clone of a
    /// template made once from [`blank_row`](Self::blank_row): much faster than
    /// [`seed`](Self::seed) when seeding thousands.
    pub(crate) fn seed_row(&mut self, row: Row) {
        let id: u64 = field(&row, "id").parse().unwrap_or(0);
        debug_assert!(id > 0, "seed of {} without a numeric id", self.spec.name);
        self.next_id = self.next_id.max(id + 1);
        self.push(row);
    }

    /// Appends `row` with a fresh id; returns the id.
    pub(crate) fn insert(&mut self, mut row: Row) -> String {
        let id = self.next_id.to_string();
        self.next_id += 1;
        row.insert("id".to_owned(), id.clone());
        self.push(row);
        id
    }

    /// The row whose `id` is `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Row> {
        self.by_id.get(id.trim()).and_then(|&i| self.rows.get(i))
    }

    /// The row whose `id` is `id`, mutable.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Row> {
        self.by_id.get(id.trim()).and_then(|&i| self.rows.get_mut(i))
    }

    /// Removes the row whose `id` is `id`; returns it.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Row> {
        let index = *self.by_id.get(id.trim())?;
        let row = self.rows.remove(index);
        self.reindex();
        Some(row)
    }

    /// Rows whose `column` equals `value`, in table order.
    pub(crate) fn rows_where<'a>(&'a self, column: &'a str, value: &'a str) -> Vec<&'a Row> {
        match self.indexed(column, value) {
            Some(rows) => rows,
            None => self.rows.iter().filter(|r| field(r, column) == value).collect(),
        }
    }
}

/// A column's value, `""` when absent.
pub(crate) fn field<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).map_or("", String::as_str)
}

/// Sets a column's value.
pub(crate) fn set(row: &mut Row, column: &str, value: impl Into<String>) {
    row.insert(column.to_owned(), value.into());
}

/// Every table, plus the simulator's own sequences.
#[derive(Debug)]
pub(crate) struct Store {
    tables: BTreeMap<&'static str, Table>,
    /// Last protocol number handed out (tickets, `gerar_protocolo_atendimento`).
    pub protocol_seq: u64,
}

impl Store {
    /// Empty tables for every [`schema::TABLES`] entry.
    pub(crate) fn empty() -> Self {
        Self { tables: schema::TABLES.iter().map(|spec| (spec.name, Table::new(spec))).collect(), protocol_seq: 0 }
    }

    /// The table called `name`.
    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// The table called `name`, mutable.
    pub(crate) fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.get_mut(name)
    }

    /// The row `id` of table `name`.
    pub(crate) fn row(&self, name: &str, id: &str) -> Option<&Row> {
        self.table(name)?.get(id)
    }

    /// The row `id` of table `name`, mutable.
    pub(crate) fn row_mut(&mut self, name: &str, id: &str) -> Option<&mut Row> {
        self.table_mut(name)?.get_mut(id)
    }

    /// Rows of table `name` whose `column` equals `value`, cloned.
    pub(crate) fn rows_where(&self, name: &str, column: &str, value: &str) -> Vec<Row> {
        self.table(name).map(|t| t.rows_where(column, value).into_iter().cloned().collect()).unwrap_or_default()
    }
}
