"""The README's purchase tour ("A purchase, step by step"), through Python clients generated
by openapi-python-client from the APIs' own /openapi.json (tests/tests/generated_client.rs
generates them and runs this script).

Only the generated packages are used: their typed request models, API functions and typed
answers. The one exception is the Midtrans simulator's pay control, which is not part of our
API (urllib, from the standard library).

Environment: COMMAND_URL, QUERY_URL, MIDTRANS_SIM_URL, ADMIN_EMAIL, ADMIN_PASSWORD.
Exits 0 when the tour completes; otherwise prints what failed and exits 1.
"""

import json
import os
import sys
import time
import urllib.request
import uuid

from pasar_command_client import AuthenticatedClient as CommandAuth
from pasar_command_client import Client as CommandClient
from pasar_command_client.api.auth import login, register
from pasar_command_client.api.cart import add_item
from pasar_command_client.api.catalog import create_category, list_product, receive_stock
from pasar_command_client.api.checkout import run as checkout
from pasar_command_client.api.sellers import set_profile
from pasar_command_client.api.shipping import destinations, quotes
from pasar_command_client.models import (
    AddItemRequest,
    CartAnswer,
    CategoryAnswer,
    CheckoutAnswer,
    CheckoutRequest,
    CreateCategoryRequest,
    CreatedAnswer,
    DestinationsAnswer,
    ListProductRequest,
    LoginRequest,
    ProfileAnswer,
    ProfileRequest,
    QuotesAnswer,
    ReceiptRequest,
    RegisterRequest,
    RegistrationRole,
    ShipmentBody,
    ShippingAddressBody,
    StockAnswer,
    TokenAnswer,
)
from pasar_query_client import AuthenticatedClient as QueryAuth
from pasar_query_client.api.cart import get_cart
from pasar_query_client.api.catalog import detail as product_detail
from pasar_query_client.api.orders import detail as order_detail
from pasar_query_client.models import Cart, Order, ProductDetail

COMMAND_URL = os.environ["COMMAND_URL"]
QUERY_URL = os.environ["QUERY_URL"]
SIM_URL = os.environ["MIDTRANS_SIM_URL"]
RUN = uuid.uuid4().hex[:8]


class TourFailed(Exception):
    pass


def step(text):
    print(f"-- {text}", flush=True)


def expect(response, status, kind, what):
    """The typed answer of `response`, which must have `status` and parse as `kind`."""
    if response.status_code != status or not isinstance(response.parsed, kind):
        body = response.content.decode("utf-8", "replace")
        raise TourFailed(
            f"{what}: expected {status} {kind.__name__}, got {int(response.status_code)} "
            f"{type(response.parsed).__name__}: {body}"
        )
    return response.parsed


def check(condition, what):
    if not condition:
        raise TourFailed(what)


def key():
    return str(uuid.uuid4())


def command(token):
    return CommandAuth(base_url=COMMAND_URL, token=token, timeout=30.0)


def query(token):
    return QueryAuth(base_url=QUERY_URL, token=token, timeout=30.0)


def tour():
    anonymous = CommandClient(base_url=COMMAND_URL, timeout=30.0)

    step("the admin signs in and creates Makanan & Minuman > Kopi")
    admin = expect(
        login.sync_detailed(
            client=anonymous,
            body=LoginRequest(email=os.environ["ADMIN_EMAIL"], password=os.environ["ADMIN_PASSWORD"]),
        ),
        200,
        TokenAnswer,
        "admin login",
    )
    admin_api = command(admin.access_token)
    food = expect(
        create_category.sync_detailed(
            client=admin_api,
            body=CreateCategoryRequest(name=f"Makanan & Minuman {RUN}"),
            idempotency_key=key(),
        ),
        201,
        CategoryAnswer,
        "create the root category",
    )
    coffee = expect(
        create_category.sync_detailed(
            client=admin_api,
            body=CreateCategoryRequest(name="Kopi", parent_id=food.id),
            idempotency_key=key(),
        ),
        201,
        CategoryAnswer,
        "create the subcategory",
    )
    check(coffee.parent_id == food.id and coffee.slug == "kopi", f"subcategory: {coffee}")

    step("1. a seller registers")
    seller = expect(
        register.sync_detailed(
            client=anonymous,
            body=RegisterRequest(
                email=f"toko-{RUN}@example.com",
                password="seller-password",
                full_name="Toko Budi",
                role=RegistrationRole.SELLER,
            ),
            idempotency_key=key(),
        ),
        201,
        TokenAnswer,
        "register the seller",
    )
    check(seller.token_type == "Bearer", f"token type {seller.token_type}")
    seller_api = command(seller.access_token)

    step("1b. … and opens a store shipping from Gambir")
    found = expect(
        destinations.sync_detailed(client=seller_api, search="gambir"),
        200,
        DestinationsAnswer,
        "search the origin",
    )
    check(found.destinations, "no destination for 'gambir'")
    origin = found.destinations[0]
    profile = expect(
        set_profile.sync_detailed(
            client=seller_api,
            body=ProfileRequest(store_name="Kopi Gayo Asli", description="Arabika dari Takengon", origin=origin.id),
            idempotency_key=key(),
        ),
        200,
        ProfileAnswer,
        "set the store profile",
    )
    check(profile.origin.id == origin.id, f"profile origin {profile.origin}")

    step("2. the seller lists a product in Kopi")
    listed = expect(
        list_product.sync_detailed(
            client=seller_api,
            body=ListProductRequest(
                sku=f"KOPI-{RUN}".upper(),
                name="Kopi Gayo 250 g",
                description="Arabica",
                price=75000,
                weight_grams=250,
                brand="Gayo",
                category_id=coffee.id,
            ),
            idempotency_key=key(),
        ),
        201,
        CreatedAnswer,
        "list the product",
    )
    product_id = listed.id

    step("3. … and receives 5 units")
    stock = expect(
        receive_stock.sync_detailed(
            product_id, client=seller_api, body=ReceiptRequest(quantity=5), idempotency_key=key()
        ),
        201,
        StockAnswer,
        "receive stock",
    )
    check(stock.on_hand == 5 and stock.available == 5, f"stock {stock}")

    step("4. a buyer registers and puts 2 in the cart")
    buyer = expect(
        register.sync_detailed(
            client=anonymous,
            body=RegisterRequest(email=f"ani-{RUN}@example.com", password="buyer-password", full_name="Ani"),
            idempotency_key=key(),
        ),
        201,
        TokenAnswer,
        "register the buyer",
    )
    buyer_api = command(buyer.access_token)
    buyer_reads = query(buyer.access_token)
    cart = expect(
        add_item.sync_detailed(
            client=buyer_api, body=AddItemRequest(product_id=product_id, quantity=2), idempotency_key=key()
        ),
        200,
        CartAnswer,
        "add to cart",
    )
    check([(i.product_id, i.quantity) for i in cart.items] == [(product_id, 2)], f"cart {cart}")

    step("5. read your own write with the consistency token")
    read = expect(
        get_cart.sync_detailed(client=buyer_reads, x_consistency_token=cart.consistency_token),
        200,
        Cart,
        "read the cart",
    )
    check(len(read.items) == 1, f"cart read {read}")
    line = read.items[0]
    check(
        line.product_id == product_id and line.quantity == 2 and line.unit_price == 75000,
        f"cart line {line}",
    )
    check(read.total == 150000 and read.currency == "IDR", f"cart total {read.total} {read.currency}")
    detail = expect(
        product_detail.sync_detailed(product_id, client=buyer_reads, x_consistency_token=cart.consistency_token),
        200,
        ProductDetail,
        "read the product",
    )
    check(
        detail.category_id == coffee.id and [c.id for c in detail.category_path] == [food.id, coffee.id],
        f"product category {detail.category_id} {detail.category_path}",
    )

    step("6. shipping: the buyer's destination, then quotes")
    found = expect(
        destinations.sync_detailed(client=buyer_api, search="dago"),
        200,
        DestinationsAnswer,
        "search the destination",
    )
    check(found.destinations, "no destination for 'dago'")
    destination = found.destinations[0].id
    quoted = expect(
        quotes.sync_detailed(client=buyer_api, destination=destination),
        200,
        QuotesAnswer,
        "quote shipping",
    )
    check(len(quoted.groups) == 1, f"one seller, one group: {quoted.groups}")
    group = quoted.groups[0]
    check(group.seller_id == seller.user.id and group.services, f"quote group {group}")
    cheapest = group.services[0]

    step("7. check out with the destination, a shipment and an Idempotency-Key")
    request = CheckoutRequest(
        shipping_address=ShippingAddressBody(
            recipient="Ani",
            phone="081234567890",
            address="Jl. Dago 1",
            city="Bandung",
            postal_code="40135",
            destination_id=destination,
        ),
        shipments=[
            ShipmentBody(
                seller_id=group.seller_id,
                quote_id=group.quote_id,
                courier=cheapest.courier,
                service=cheapest.service,
            )
        ],
    )
    checkout_key = key()
    placed = expect(
        checkout.sync_detailed(client=buyer_api, body=request, idempotency_key=checkout_key),
        201,
        CheckoutAnswer,
        "check out",
    )
    check(len(placed.orders) == 1, f"orders {placed.orders}")
    order = placed.orders[0]
    check(
        order.status == "awaiting_payment"
        and order.subtotal == 150000
        and order.shipping_cost == cheapest.cost
        and order.total == 150000 + cheapest.cost
        and placed.payment.gross_amount == order.total,
        f"placed order {order}, payment {placed.payment}",
    )
    again = expect(
        checkout.sync_detailed(client=buyer_api, body=request, idempotency_key=checkout_key),
        201,
        CheckoutAnswer,
        "retry the checkout with its Idempotency-Key",
    )
    check(again.checkout_id == placed.checkout_id, "a retried checkout answers the same checkout")

    step("8. pay in the Midtrans simulator (not part of our API)")
    pay = urllib.request.Request(f"{SIM_URL}/_sim/transactions/{placed.payment.id}/pay", method="POST")
    with urllib.request.urlopen(pay, timeout=30) as answer:
        paid = json.load(answer)
    check(paid.get("transaction_status") == "settlement", f"simulator: {paid}")

    step("9. the order reads as paid through the query API")
    # Payment is asynchronous (webhook → reactors → projector): no consistency token exists for
    # effects the buyer did not cause, so wait for the status, within a bound.
    deadline = time.monotonic() + 30
    while True:
        seen = expect(
            order_detail.sync_detailed(order.id, client=buyer_reads, x_consistency_token=placed.consistency_token),
            200,
            Order,
            "read the order",
        )
        if seen.status == "paid":
            break
        if time.monotonic() > deadline:
            raise TourFailed(f"the order is still {seen.status!r} 30 s after the payment")
        time.sleep(0.2)
    check(seen.total == order.total and seen.buyer_id == buyer.user.id, f"order {seen}")
    print(f"tour complete: order {order.id} paid, total {seen.total} {seen.currency}")


def main():
    try:
        tour()
    except TourFailed as failure:
        print(f"TOUR FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:  # an exception from the generated client (e.g. a parse error)
        print(f"TOUR FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        raise


if __name__ == "__main__":
    main()
