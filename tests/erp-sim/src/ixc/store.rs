//! The in-memory database: one [`Table`] per [`TableSpec`], rows as column → string maps.

use std::collections::BTreeMap;

use super::schema::{self, TableSpec};

/// One row: every column of its table, every value a string (IXC's listings have no other
/// type).
pub(crate) type Row = BTreeMap<String, String>;

/// A table's rows and its id sequence.
#[derive(Debug)]
pub(crate) struct Table {
    pub spec: &'static TableSpec,
    pub rows: Vec<Row>,
    /// The id the next insert gets.
    next_id: u64,
}

impl Table {
    fn new(spec: &'static TableSpec) -> Self {
        Self { spec, rows: Vec::new(), next_id: 1 }
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
        let id: u64 = field(&row, "id").parse().unwrap_or(0);
        debug_assert!(id > 0, "seed of {} without a numeric id", self.spec.name);
        self.next_id = self.next_id.max(id + 1);
        self.rows.push(row);
    }

    /// Appends `row` with a fresh id; returns the id.
    pub(crate) fn insert(&mut self, mut row: Row) -> String {
        let id = self.next_id.to_string();
        self.next_id += 1;
        row.insert("id".to_owned(), id.clone());
        self.rows.push(row);
        id
    }

    /// The row whose `id` is `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Row> {
        let id = id.trim();
        self.rows.iter().find(|r| field(r, "id") == id)
    }

    /// The row whose `id` is `id`, mutable.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Row> {
        let id = id.trim();
        self.rows.iter_mut().find(|r| field(r, "id") == id)
    }

    /// Removes the row whose `id` is `id`; returns it.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Row> {
        let id = id.trim();
        let index = self.rows.iter().position(|r| field(r, "id") == id)?;
        Some(self.rows.remove(index))
    }

    /// Rows whose `column` equals `value`.
    pub(crate) fn rows_where<'a>(&'a self, column: &'a str, value: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| field(r, column) == value)
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
        self.table(name).map(|t| t.rows_where(column, value).cloned().collect()).unwrap_or_default()
    }
}
