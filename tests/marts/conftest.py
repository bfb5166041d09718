"""A small hand-checked warehouse for the marts: one QianHub shop and one Pospal account on one
business day, with a re-checkout, a voided dish, a return, a voided ticket and a ticket after
midnight that belongs to the day before. Every expected figure in the tests is worked out by
hand from the rows below."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from etl.warehouse.connection import apply_ddl

SHOP = 9000000000000000001  # 19 digits: beyond 2^53
BILL_A = 7000000000000000001
BILL_B = 7000000000000000002
ACCOUNT = "store-1"
DAY = "2026-11-02"

QIANHUB_ROWS = f"""
INSERT INTO qianhub.shops (shop_id, shop_name) VALUES ({SHOP}, '一号店');

-- Bill A: 100.00 - 10.00 discount - 5.00 promotion - 0.50 rounding = 84.50, paid by WeChat.
-- Bill B: re-checked out; version 0 paid 50.00, version 1 (latest) 60.00 - 2.00 = 58.00 cash.
INSERT INTO qianhub.bills (bill_id, shop_id, business_date, sn, amount, real_amount, paid,
                           discount, promotion, rounding, undo_index, cashier_on) VALUES
  ({BILL_A}, {SHOP}, DATE '{DAY}', 'A1', 100.00, 84.50, 84.50, -10.00, -5.00, 0.50, 0,
   TIMESTAMP '{DAY} 12:10:00'),
  ({BILL_B}, {SHOP}, DATE '{DAY}', 'B1', 60.00, 58.00, 58.00, 0.00, -2.00, 0.00, 1,
   TIMESTAMP '{DAY} 13:30:00');
INSERT INTO qianhub.bill_versions (bill_id, undo_index, shop_id, business_date, sn, cashier_on,
                                   amount, real_amount, paid, discount, promotion, rounding) VALUES
  ({BILL_A}, 0, {SHOP}, DATE '{DAY}', 'A1', TIMESTAMP '{DAY} 12:10:00',
   100.00, 84.50, 84.50, -10.00, -5.00, 0.50),
  ({BILL_B}, 0, {SHOP}, DATE '{DAY}', 'B1', TIMESTAMP '{DAY} 13:00:00',
   50.00, 50.00, 50.00, 0.00, 0.00, 0.00),
  ({BILL_B}, 1, {SHOP}, DATE '{DAY}', 'B1', TIMESTAMP '{DAY} 13:30:00',
   60.00, 58.00, 58.00, 0.00, -2.00, 0.00);
INSERT INTO qianhub.bill_orders (bill_id, order_id, shop_id, business_date, line_no,
                                 person_count) VALUES
  ({BILL_A}, 1, {SHOP}, DATE '{DAY}', 0, 2),
  ({BILL_B}, 2, {SHOP}, DATE '{DAY}', 0, 1);
-- Bill A: 宫保鸡丁 x2 = 96.00, 米饭 3 ordered, 1 sent back (2.00 each) = 4.00.
INSERT INTO qianhub.bill_details (bill_id, order_id, detail_id, root_detail_id, depth, path,
    line_no, shop_id, business_date, goods_id, goods_name, current_price, real_amount,
    quantity, void_quantity) VALUES
  ({BILL_A}, 1, 11, 11, 0, '11', 0, {SHOP}, DATE '{DAY}', 501, '宫保鸡丁', 48.00, 96.00, 2, 0),
  ({BILL_A}, 1, 12, 12, 0, '12', 1, {SHOP}, DATE '{DAY}', 502, '米饭', 2.00, 4.00, 3, 1),
  ({BILL_B}, 2, 21, 21, 0, '21', 0, {SHOP}, DATE '{DAY}', 501, '宫保鸡丁', 48.00, 48.00, 1, 0),
  ({BILL_B}, 2, 22, 22, 0, '22', 1, {SHOP}, DATE '{DAY}', 502, '米饭', 2.00, 12.00, 6, 0);
INSERT INTO qianhub.bill_payments (bill_id, line_no, shop_id, business_date, payment_type_id,
                                   payment_type_name, payment_type_sn, value, change) VALUES
  ({BILL_A}, 0, {SHOP}, DATE '{DAY}', 5, '微信', '2405', 84.50, 0.00),
  ({BILL_B}, 0, {SHOP}, DATE '{DAY}', 1, '现金', '2401', 60.00, 2.00);
INSERT INTO qianhub.dayend_stats (shop_id, business_date, create_on) VALUES
  ({SHOP}, DATE '{DAY}', TIMESTAMP '2026-11-03 05:30:00');
INSERT INTO qianhub.dayend_stat_lines (shop_id, business_date, section, line_no, depth, key,
                                       value_text, amount) VALUES
  ({SHOP}, DATE '{DAY}', 'summary', 0, 0, 'bill', '2', NULL),
  ({SHOP}, DATE '{DAY}', 'detail', 0, 0, 'cashierSum', NULL, 142.50);
"""

DELIVERY_ROWS = f"""
-- Meituan: one completed order (61.50 paid, 45.84 to the shop), one cancelled (30.00);
-- Ele.me: one order in Refunding (20.00 paid, 15.00 to the shop) with an unmapped line.
INSERT INTO qianhub.delivery_orders (order_id, shop_id, business_date, channel, channel_name,
    order_state, state_rank, is_canceled, amount, goods_amount, box_amount, ship_fee,
    channel_share, channel_promotion, partner_promotion, partner_receive, item_count,
    created_on) VALUES
  (9100000000000000001, {SHOP}, DATE '{DAY}', 'MT', 'Meituan', 'Completed', 4, FALSE, 61.50,
   62.00, 1.50, 3.00, 11.16, 3.00, 2.00, 45.84, 1, TIMESTAMP '{DAY} 12:01:00'),
  (9100000000000000002, {SHOP}, DATE '{DAY}', 'MT', 'Meituan', 'Canceled', 6, TRUE, 30.00,
   30.00, 0.00, 0.00, 5.40, 0.00, 0.00, 24.60, 1, TIMESTAMP '{DAY} 18:00:00'),
  (9100000000000000003, {SHOP}, DATE '{DAY}', 'EL', 'Ele.me', 'Refunding', 5, FALSE, 20.00,
   18.00, 2.00, 0.00, 3.00, 0.00, 0.00, 15.00, 1, TIMESTAMP '{DAY} 19:00:00');
INSERT INTO qianhub.delivery_order_items (order_id, line_no, shop_id, business_date,
    channel_goods, partner_goods, is_mapped, price, quantity) VALUES
  (9100000000000000001, 0, {SHOP}, DATE '{DAY}', 'MT88001', 501, TRUE, 62.00, 1),
  (9100000000000000002, 0, {SHOP}, DATE '{DAY}', 'MT88001', 501, TRUE, 30.00, 1),
  (9100000000000000003, 0, {SHOP}, DATE '{DAY}', 'EL-7', NULL, FALSE, 18.00, 1);
"""

POSPAL_ROWS = f"""
-- S1 sale 50.00 of lines at 90% = 45.00 cash; R1 returns S1's 20.00 line, cash back;
-- S2 sale 88.88 of lines, 0.88 rounded off = 88.00 WeChat; V1 voided sale 99.00;
-- S3 sale 10.00 cash at 02:00 the next calendar day: still business day {DAY}.
INSERT INTO pospal.tickets (account, sn, business_date, uid, ticket_time, total_amount,
    signed_amount, rounding, ticket_type, ticket_type_raw, is_void, is_return, item_count,
    is_member, sell_ticket_uid) VALUES
  ('{ACCOUNT}', 'S1', DATE '{DAY}', 8000000000000000001, TIMESTAMP '{DAY} 10:05:00', 45.00,
   45.00, 0.00, 'SELL', 'SELL', FALSE, FALSE, 2, FALSE, NULL),
  ('{ACCOUNT}', 'S2', DATE '{DAY}', 8000000000000000002, TIMESTAMP '{DAY} 11:20:00', 88.00,
   88.00, 0.88, 'SELL', 'sell', FALSE, FALSE, 1, TRUE, NULL),
  ('{ACCOUNT}', 'R1', DATE '{DAY}', 8000000000000000003, TIMESTAMP '{DAY} 15:00:00', 20.00,
   -20.00, 0.00, 'SELL_RETURN', 'Sell_Return', FALSE, TRUE, 1, FALSE, 8000000000000000001),
  ('{ACCOUNT}', 'V1', DATE '{DAY}', 8000000000000000004, TIMESTAMP '{DAY} 16:00:00', 99.00,
   99.00, 0.00, 'SELL', 'SELL', TRUE, FALSE, 1, FALSE, NULL),
  ('{ACCOUNT}', 'S3', DATE '{DAY}', 8000000000000000005, TIMESTAMP '2026-11-03 02:00:00', 10.00,
   10.00, 0.00, 'SELL', 'SELL', FALSE, FALSE, 1, FALSE, NULL);
INSERT INTO pospal.ticket_items (account, sn, line_no, business_date, product_uid, name,
                                 quantity, total_amount) VALUES
  ('{ACCOUNT}', 'S1', 0, DATE '{DAY}', 9100000000000000001, '牛奶', 1, 30.00),
  ('{ACCOUNT}', 'S1', 1, DATE '{DAY}', 9100000000000000002, '面包', 1, 20.00),
  ('{ACCOUNT}', 'S2', 0, DATE '{DAY}', 9100000000000000003, '大米 5kg', 2, 88.88),
  ('{ACCOUNT}', 'R1', 0, DATE '{DAY}', 9100000000000000002, '面包', 1, 20.00),
  ('{ACCOUNT}', 'V1', 0, DATE '{DAY}', 9100000000000000004, '红酒', 1, 99.00),
  ('{ACCOUNT}', 'S3', 0, DATE '{DAY}', 9100000000000000005, '矿泉水', 5, 10.00);
INSERT INTO pospal.ticket_payments (account, sn, line_no, business_date, code,
                                    pay_method_name, amount) VALUES
  ('{ACCOUNT}', 'S1', 0, DATE '{DAY}', 'payCode_1', '现金', 45.00),
  ('{ACCOUNT}', 'S2', 0, DATE '{DAY}', 'payCode_7', '微信', 88.00),
  ('{ACCOUNT}', 'R1', 0, DATE '{DAY}', 'payCode_1', '现金', 20.00),
  ('{ACCOUNT}', 'V1', 0, DATE '{DAY}', 'payCode_1', '现金', 99.00),
  ('{ACCOUNT}', 'S3', 0, DATE '{DAY}', 'payCode_1', '现金', 10.00);
"""


@pytest.fixture
def hand_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    apply_ddl(con)
    con.execute(QIANHUB_ROWS)
    con.execute(DELIVERY_ROWS)
    con.execute(POSPAL_ROWS)
    yield con
    con.close()
