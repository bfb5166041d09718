"""``pos-warehouse whale ...``: WHALE e-voucher set-up actions and notification look-ups.

Set-up commands (activity, sale-channel, make-code-channel, template, rule) take the
document's fields from options and/or ``--json FILE`` (options win) and by default only print
the request they would send (URL, headers with every configured or signed value masked, the
exact body). ``--apply`` sends it and prints WHALE's answer; it exits 1 on any returnCode
other than "00". ``createTime``/``updateTime`` default to now, Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
import typer

from etl.errors import PosWarehouseError

whale_app = typer.Typer(
    no_args_is_help=True,
    help="WHALE e-voucher admin: set-up actions (dry run unless --apply), notifications.",
)

JsonOpt = Annotated[
    Path | None, typer.Option("--json", help="A JSON object of the document's fields.")
]
ApplyOpt = Annotated[bool, typer.Option("--apply", help="Send it (default: only show it).")]
ActiveOpt = Annotated[str | None, typer.Option("--active", help="isActive: Y or N.")]
CreateTimeOpt = Annotated[str | None, typer.Option("--create-time", help="yyyyMMddHHmmss")]
UpdateTimeOpt = Annotated[str | None, typer.Option("--update-time", help="yyyyMMddHHmmss")]
OrderIdsOpt = Annotated[
    list[str], typer.Option("--order-id", help="Sale-channel order id; repeat for several.")
]


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _now() -> str:
    return f"{dt.datetime.now(ZoneInfo('Asia/Shanghai')):%Y%m%d%H%M%S}"


def _setup(action: str, file: Path | None, fields: dict[str, Any], apply: bool) -> None:
    from etl.whale.client import WhaleClient, prepare
    from etl.whale.models import SETUP_ACTIONS, build
    from etl.whale.settings import WhaleSettings

    cls = SETUP_ACTIONS[action]
    data: dict[str, Any] = {}
    try:
        if file is not None:
            loaded = json.loads(file.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                raise _fail(f"{file} must hold one JSON object")
            data.update(loaded)
        data.update({k: v for k, v in fields.items() if v is not None})
        for stamp in ("createTime", "updateTime"):
            if stamp in cls.__struct_fields__ and stamp not in data:
                data[stamp] = _now()
        request = build(cls, data)
        settings = WhaleSettings.from_env()
        if not apply:
            prepared = prepare(
                request,
                path_template=settings.path_template,
                headers=settings.extra_headers(),
                signer=settings.load_signer(),
            )
            _echo({"dry_run": True, **prepared.describe(settings.base_url)})
            typer.echo("(dry run: nothing sent; add --apply to send)", err=True)
            return
        with WhaleClient.from_settings(settings) as client:
            answer = client.setup(request)
        _echo(msgspec.to_builtins(answer))
    except (OSError, ValueError) as exc:  # FieldError is a ValueError naming the field
        raise _fail(str(exc)) from None
    except PosWarehouseError as exc:
        raise _fail(str(exc)) from None


@whale_app.command()
def activity(
    name: Annotated[str | None, typer.Option("--name", help="activityName (<100 chars)")] = None,
    ebuy_activity_id: Annotated[str | None, typer.Option("--ebuy-activity-id")] = None,
    sale_channel_id: Annotated[str | None, typer.Option("--sale-channel-id")] = None,
    valid_start: Annotated[str | None, typer.Option("--valid-start")] = None,
    valid_end: Annotated[str | None, typer.Option("--valid-end")] = None,
    active: ActiveOpt = None,
    create_user: Annotated[str | None, typer.Option("--create-user")] = None,
    create_time: CreateTimeOpt = None,
    update_time: UpdateTimeOpt = None,
    file: JsonOpt = None,
    apply: ApplyOpt = False,
) -> None:
    """activityInsert: bind an ERP activity to a new e-voucher activity."""
    fields = {
        "activityName": name,
        "ebuyActivityId": ebuy_activity_id,
        "saleChannelId": sale_channel_id,
        "validStart": valid_start,
        "validEnd": valid_end,
        "isActive": active,
        "createUser": create_user,
        "createTime": create_time,
        "updateTime": update_time,
    }
    _setup("activityInsert", file, fields, apply)


@whale_app.command("sale-channel")
def sale_channel(
    name: Annotated[str | None, typer.Option("--name", help="saleChannelName")] = None,
    active: ActiveOpt = None,
    remark: Annotated[str | None, typer.Option("--remark")] = None,
    creator: Annotated[str | None, typer.Option("--creator", help="creatorName")] = None,
    create_time: CreateTimeOpt = None,
    update_time: UpdateTimeOpt = None,
    file: JsonOpt = None,
    apply: ApplyOpt = False,
) -> None:
    """saleChanneInsert (sic): a new sale channel (取码方)."""
    fields = {
        "saleChannelName": name,
        "isActive": active,
        "remark": remark,
        "creatorName": creator,
        "createTime": create_time,
        "updateTime": update_time,
    }
    _setup("saleChanneInsert", file, fields, apply)


@whale_app.command("make-code-channel")
def make_code_channel(
    name: Annotated[str | None, typer.Option("--name", help="sendChannelName")] = None,
    active: ActiveOpt = None,
    third_channel_no: Annotated[str | None, typer.Option("--third-channel-no")] = None,
    make_code_url: Annotated[str | None, typer.Option("--make-code-url")] = None,
    verify_url: Annotated[str | None, typer.Option("--verify-url")] = None,
    verify_notify_url: Annotated[str | None, typer.Option("--verify-notify-url")] = None,
    file: JsonOpt = None,
    apply: ApplyOpt = False,
) -> None:
    """sendChanneInsert (sic): a new make-code channel (制码方)."""
    config = {
        "thirdChannelNo": third_channel_no,
        "makeCodeURL": make_code_url,
        "verifyURL": verify_url,
        "verifyNotifyURL": verify_notify_url,
    }
    config = {k: v for k, v in config.items() if v is not None}
    fields = {
        "sendChannelName": name,
        "isActive": active,
        "sendChannelConfig": config or None,
    }
    _setup("sendChanneInsert", file, fields, apply)


@whale_app.command()
def template(
    name: Annotated[str | None, typer.Option("--name", help="templateName")] = None,
    send_channel_id: Annotated[int | None, typer.Option("--send-channel-id")] = None,
    brand_id: Annotated[int | None, typer.Option("--brand-id")] = None,
    product_id: Annotated[int | None, typer.Option("--product-id")] = None,
    ticket_type: Annotated[int | None, typer.Option("--ticket-type", help="1-4")] = None,
    face_value: Annotated[
        str | None, typer.Option("--face-value", help="12 digits, fen: 000000003000")
    ] = None,
    send_type: Annotated[int | None, typer.Option("--send-type", help="1 API, 2 batch")] = None,
    active: ActiveOpt = None,
    remark: Annotated[str | None, typer.Option("--remark")] = None,
    create_user: Annotated[str | None, typer.Option("--create-user")] = None,
    create_time: CreateTimeOpt = None,
    update_time: UpdateTimeOpt = None,
    file: JsonOpt = None,
    apply: ApplyOpt = False,
) -> None:
    """templateInsert: a new voucher template (one per 易百 productId)."""
    fields = {
        "templateName": name,
        "sendChannelId": send_channel_id,
        "brandId": brand_id,
        "productId": product_id,
        "ticketType": ticket_type,
        "faceValue": face_value,
        "sendType": send_type,
        "isActive": active,
        "remark": remark,
        "createUser": create_user,
        "createTime": create_time,
        "updateTime": update_time,
    }
    _setup("templateInsert", file, fields, apply)


@whale_app.command()
def rule(
    file: JsonOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="ruleName")] = None,
    scene_key: Annotated[str | None, typer.Option("--scene-key", help="ruleScenceKey")] = None,
    scene: Annotated[str | None, typer.Option("--scene", help="ruleScene")] = None,
    key: Annotated[str | None, typer.Option("--key", help="ruleKey, e.g. BuyGet")] = None,
    value_json: Annotated[
        str | None, typer.Option("--value-json", help="ruleValue as a JSON object")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="startTime")] = None,
    end: Annotated[str | None, typer.Option("--end", help="endTime")] = None,
    message_tpl: Annotated[str | None, typer.Option("--message-tpl")] = None,
    active: ActiveOpt = None,
    apply: ApplyOpt = False,
) -> None:
    """createRule: a rule (BuyGet, *Limit, WeekTime); ruleValue is easiest in --json."""
    try:
        value = json.loads(value_json) if value_json else None
    except ValueError as exc:
        raise _fail(f"--value-json is not JSON ({exc})") from None
    fields = {
        "ruleName": name,
        "ruleScenceKey": scene_key,
        "ruleScene": scene,
        "ruleKey": key,
        "ruleValue": value,
        "startTime": start,
        "endTime": end,
        "messageTpl": message_tpl,
        "isActive": active,
    }
    _setup("createRule", file, fields, apply)


notifications_app = typer.Typer(no_args_is_help=True, help="Notification status of orders.")
whale_app.add_typer(notifications_app, name="notifications")


def _for_orders(kind: str, order_ids: list[str]) -> None:
    from etl.flatten.whale import mask_mobile
    from etl.whale.client import WhaleClient
    from etl.whale.envelope import WhaleRejected
    from etl.whale.settings import WhaleSettings

    failed = False
    try:
        with WhaleClient.from_settings(WhaleSettings.from_env()) as client:
            call = {
                "make-code": client.make_notify_query,
                "verify": client.verify_notify_query,
                "retry": client.make_notify_retry,
            }[kind]
            for order_id in order_ids:
                try:
                    answer = msgspec.json.decode(call(order_id))
                except WhaleRejected as exc:
                    failed = True
                    typer.echo(f"{order_id}: {exc}", err=True)
                    continue
                if isinstance(answer, dict) and "orderMobile" in answer:
                    answer["orderMobile"] = mask_mobile(str(answer["orderMobile"]))
                _echo(answer)
    except PosWarehouseError as exc:
        raise _fail(str(exc)) from None
    if failed:
        raise typer.Exit(1)


@notifications_app.command("make-code")
def make_code_notifications(order_id: OrderIdsOpt) -> None:
    """makeNotifyQuery: the make-code notification of each order (mobile masked)."""
    _for_orders("make-code", order_id)


@notifications_app.command("verify")
def verify_notifications(order_id: OrderIdsOpt) -> None:
    """The verification (核销) notification of each order (WHALE_VERIFY_NOTIFY_ACTION)."""
    _for_orders("verify", order_id)


@whale_app.command()
def retry(order_id: OrderIdsOpt) -> None:
    """makeNotifyRetry: re-send each order's make-code notification (never retried on its own;
    the Dagster job whale_retry_failed does all failed ones and reloads the table)."""
    _for_orders("retry", order_id)
