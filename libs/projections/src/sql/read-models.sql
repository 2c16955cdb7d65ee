-- Read-model schema of @dropline/projections (migration ReadModels1733000000000 runs this file).
-- Idempotent on purpose: the PGlite test template applies it directly, and the migration may
-- then run again over the same tables.

create table if not exists rm_projection_checkpoints (
  projection text primary key,
  position text,
  events_processed bigint not null default 0,
  last_event_at timestamptz,
  updated_at timestamptz not null default now()
);

-- Rebuild requests and their progress; written by the CLI/admin route (request) and the lease holder (progress).
create table if not exists rm_projection_rebuilds (
  projection text primary key,
  status text not null,
  requested_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  events_done bigint not null default 0,
  events_total bigint,
  events_per_second double precision,
  eta_seconds double precision,
  error text
);

create table if not exists rm_drop_summary (
  drop_id text primary key,
  name text not null,
  city text,
  currency text not null,
  status text not null,
  early_access_opens_at timestamptz,
  opens_at timestamptz not null,
  closes_at timestamptz not null,
  tier_in_force integer not null,
  unit_price_in_force bigint not null,
  units_sold integer not null,
  net_units integer not null,
  active_pre_orders integer not null,
  minimum_order_quantity integer not null,
  revenue bigint not null,
  revenue_by_tier jsonb not null,
  revenue_by_channel jsonb not null,
  definition jsonb not null,
  last_revision integer not null,
  last_event_at timestamptz
);
create index if not exists rm_drop_summary_status_city on rm_drop_summary (status, city);

create table if not exists rm_inventory (
  drop_id text not null,
  sku text not null,
  edition_cap integer not null,
  units_accepted integer not null,
  units_cancelled integer not null,
  units_pre_ordered integer not null,
  units_refunded integer not null,
  units_requested integer not null,
  units_produced integer not null,
  units_rejected integer not null,
  units_shipped integer not null,
  units_picked_up integer not null,
  units_delivered integer not null,
  units_returned_restockable integer not null,
  units_returned_not_restockable integer not null,
  available integer not null,
  on_hand integer not null,
  primary key (drop_id, sku)
);

create table if not exists rm_customer_pre_orders (
  pre_order_id text primary key,
  customer_id text not null,
  drop_id text not null,
  sku text not null,
  quantity integer not null,
  channel text not null,
  fulfillment text not null,
  location_id text,
  tier integer not null,
  unit_price bigint not null,
  total bigint not null,
  currency text not null,
  status text not null,
  placed_at timestamptz not null,
  cancelled_at timestamptz,
  refund_requested boolean not null,
  hand_over text not null,
  return_id text,
  return_reason text,
  return_condition text,
  return_status text
);
create index if not exists rm_customer_pre_orders_customer on rm_customer_pre_orders (customer_id, placed_at);
create index if not exists rm_customer_pre_orders_drop on rm_customer_pre_orders (drop_id);

create table if not exists rm_production_runs (
  run_id text primary key,
  drop_id text not null,
  microfactory_id text not null,
  status text not null,
  units_by_sku jsonb not null,
  produced_by_sku jsonb,
  rejected_by_sku jsonb,
  requested_at timestamptz not null,
  started_at timestamptz,
  completed_at timestamptz
);
create index if not exists rm_production_runs_drop on rm_production_runs (drop_id);

create table if not exists rm_returns_by_reason (
  drop_id text not null,
  reason text not null,
  returns_requested integer not null,
  units_requested integer not null,
  units_received_restockable integer not null,
  units_received_not_restockable integer not null,
  returns_refunded integer not null,
  amount_refunded bigint not null,
  primary key (drop_id, reason)
);

create table if not exists rm_restock_thresholds (
  drop_id text not null,
  sku text not null,
  lead_time_days integer not null,
  service_level double precision not null,
  window_start timestamptz not null,
  window_end timestamptz,
  daily_sales jsonb not null,
  daily_units jsonb not null,
  units_handed_over integer not null,
  returns_by_reason jsonb not null,
  restockable_return_rate double precision not null,
  mean_daily_units double precision not null,
  std_dev_daily_units double precision not null,
  z double precision not null,
  safety_stock double precision not null,
  reorder_point double precision not null,
  available integer not null,
  above_reorder_point boolean not null,
  crossings integer not null,
  last_crossing_at timestamptz,
  primary key (drop_id, sku)
);

-- Owned by the restock reactor, not by a projection: never rebuilt, so a rebuild cannot re-emit.
-- Its state per (drop, SKU), folded from the log by the inventory and restock-threshold read
-- models' evolves (as JSON documents), and the last crossing it appended.
create table if not exists rm_restock_reactor (
  drop_id text not null,
  sku text not null,
  crossings_emitted integer not null,
  primary key (drop_id, sku)
);
alter table rm_restock_reactor add column if not exists last_revision integer not null default -1;
alter table rm_restock_reactor add column if not exists closes_at timestamptz;
alter table rm_restock_reactor add column if not exists inventory jsonb;
alter table rm_restock_reactor add column if not exists threshold jsonb;

-- The restock reactor's facts of each pre-order (hand-overs and returns name the pre-order, not its SKU).
create table if not exists rm_restock_reactor_pre_orders (
  pre_order_id text primary key,
  drop_id text not null,
  sku text not null,
  quantity integer not null,
  status text not null,
  refund_requested boolean not null,
  hand_over text not null,
  return_id text,
  return_reason text,
  return_status text
);

-- Before rebuild swaps renamed indexes, a swapped-in table kept the indexes its shadow copy got
-- from `create table … (like … including all)`: auto-named `<table>_rebuild_<columns>_idx` and
-- `<table>_rebuild_pkey`. The `create index if not exists` lines above then added a second copy
-- of each secondary index under its real name. Drop the leftovers and give primary keys their
-- real names (shadow tables of a running rebuild, `rm_%_rebuild`, are left alone).
do $$
declare
  r record;
begin
  for r in
    select i.relname as index_name, t.relname as table_name, x.indisprimary as is_primary
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    where t.relnamespace = current_schema()::regnamespace
      and t.relname like 'rm\_%' and t.relname not like '%\_rebuild'
      and i.relname like t.relname || '\_rebuild\_%'
  loop
    if r.is_primary then
      if to_regclass(r.table_name || '_pkey') is null then
        execute format('alter index %I rename to %I', r.index_name, r.table_name || '_pkey');
      end if;
    else
      execute format('drop index %I', r.index_name);
    end if;
  end loop;
end $$;
