-- Work orders: categories (which are also the Open311 services), the counties' working calendars,
-- orders with their owner, time limit and call-back, and each order's timeline of steps.
-- Same version and tables as postgres/0004.
CREATE TABLE order_categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    sla_days INTEGER NOT NULL,
    description TEXT,
    keywords TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL
);

CREATE TABLE calendar_days (
    county_id INTEGER NOT NULL REFERENCES units(id),
    day TEXT NOT NULL,
    working BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (county_id, day)
);

CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    category_id INTEGER NOT NULL REFERENCES order_categories(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    place_unit_id INTEGER NOT NULL REFERENCES units(id),
    owner_unit_id INTEGER NOT NULL REFERENCES units(id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT,
    lat TEXT,
    lon TEXT,
    media_url TEXT,
    reporter_name TEXT,
    reporter_phone TEXT,
    enterprise_id INTEGER REFERENCES units(id),
    handler_id INTEGER REFERENCES people(id),
    received_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    dispatched_at TEXT,
    replied_at TEXT,
    closed_at TEXT,
    reply TEXT,
    solved INTEGER,
    satisfied INTEGER,
    supervision TEXT NOT NULL DEFAULT 'none',
    chases INTEGER NOT NULL DEFAULT 0,
    returns INTEGER NOT NULL DEFAULT 0,
    reopens INTEGER NOT NULL DEFAULT 0,
    extensions INTEGER NOT NULL DEFAULT 0,
    extension_pending INTEGER,
    duplicate_of INTEGER REFERENCES work_orders(id),
    updated_at TEXT NOT NULL
);
CREATE INDEX work_orders_owner ON work_orders(owner_unit_id, received_at);
CREATE INDEX work_orders_place ON work_orders(place_unit_id, received_at);
CREATE INDEX work_orders_status ON work_orders(status, due_at);

CREATE TABLE order_steps (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES work_orders(id),
    step TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id),
    unit_id INTEGER REFERENCES units(id),
    note TEXT,
    at TEXT NOT NULL
);
CREATE INDEX order_steps_order ON order_steps(order_id, id);

-- The categories every install starts with; a county adds its own on 工单设置.
INSERT INTO order_categories (code, name, kind, handled_at, sla_days, description, keywords, active, created_at) VALUES
('road_light', '道路与路灯', 'request', 'village', 5, '村内道路破损、路灯不亮', '道路,路灯,坑洼', 1, '2026-11-01T00:00:00Z'),
('sanitation', '环境卫生', 'request', 'village', 3, '垃圾清运、河道保洁、乱堆乱放', '垃圾,卫生,河道', 1, '2026-11-01T00:00:00Z'),
('water_power', '供水供电', 'request', 'township', 5, '停水停电、水压不足、线路老化', '停水,停电,水压', 1, '2026-11-01T00:00:00Z'),
('dispute', '邻里纠纷', 'request', 'village', 5, '宅基地、相邻关系、家庭矛盾调解', '纠纷,调解', 1, '2026-11-01T00:00:00Z'),
('social_security', '社保医保', 'request', 'township', 7, '养老保险、医保报销、低保救助', '社保,医保,低保', 1, '2026-11-01T00:00:00Z'),
('elderly_care', '养老助残', 'request', 'village', 5, '居家养老、助残服务、独居老人关爱', '养老,助残', 1, '2026-11-01T00:00:00Z'),
('policy', '政策咨询', 'request', 'township', 3, '惠农政策、补贴申领、证照办理咨询', '政策,咨询,补贴', 1, '2026-11-01T00:00:00Z'),
('enterprise_materials', '企业原料供应', 'enterprise', 'county', 10, '一企一策：原材料采购与供应链', '原料,供应链', 1, '2026-11-01T00:00:00Z'),
('enterprise_sales', '企业产品销售', 'enterprise', 'county', 10, '一企一策：产品销路与市场对接', '销售,市场', 1, '2026-11-01T00:00:00Z'),
('enterprise_workers', '企业用工', 'enterprise', 'county', 10, '一企一策：招工用工与返岗', '用工,招工', 1, '2026-11-01T00:00:00Z'),
('hazard_fire', '消防隐患', 'hazard', 'village', 3, '巡查发现的消防、燃气、用电隐患', '消防,燃气', 1, '2026-11-01T00:00:00Z'),
('hazard_flood', '防汛地质隐患', 'hazard', 'township', 2, '山塘水库、地质灾害点、危旧房', '防汛,地质,危房', 1, '2026-11-01T00:00:00Z'),
('hazard_traffic', '道路交通隐患', 'hazard', 'township', 3, '临水临崖路段、缺失护栏与标志', '交通,护栏', 1, '2026-11-01T00:00:00Z'),
('practical_project', '我为群众办实事项目', 'project', 'township', 30, '列入清单的民生实事项目', '实事,项目', 1, '2026-11-01T00:00:00Z'),
('service_item', '便民服务事项', 'service', 'village', 5, '代办代跑、上门服务', '代办,服务', 1, '2026-11-01T00:00:00Z');
